// Suites that need test hosts call `describeWithHosts`: where hosts cannot run they are skipped with one line saying
// why, except under CI, where a missing prerequisite must fail the run instead of passing it quietly.

import { describe } from 'vitest';
import { hostsUnavailableReason } from './hosts/requirements.js';

export { hostsUnavailableReason };

/** Throws under CI; otherwise returns the reason to skip, or undefined when hosts can run. */
export function hostsSkipReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const reason = hostsUnavailableReason();
  if (reason && env.CI === 'true') throw new Error(`test hosts are required under CI=true: ${reason}`);
  return reason;
}

export function describeWithHosts(title: string, body: () => void): void {
  const reason = hostsSkipReason();
  if (reason) {
    console.warn(`skipped "${title}": ${reason}`);
    describe.skip(`${title} (skipped: ${reason})`, body);
    return;
  }
  describe(title, body);
}
