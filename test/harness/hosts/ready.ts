// A host is up when its sshd answers our key, shows the recorded host key and `systemctl is-active ssh` says active.

import { TestHostsError } from './errors.js';
import { consoleTail } from './host.js';
import { isAlive } from './processes.js';
import type { HostRecord } from './record.js';
import { HarnessSsh } from './ssh.js';

const POLL_MS = 500;
export const READY_TIMEOUT_MS = 60_000;

const HINT =
  'the hosts are removed after a failed start; to look at one by hand: `npm run hosts -- up 1`, then `npm run hosts -- down`';

/** The end of the host's console, inside the message: the host folder (and its log) goes away with the cleanup. */
function consoleSays(record: HostRecord): string {
  return `\nconsole of ${record.name} (last lines):\n${consoleTail(record)}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sshIsActive(record: HostRecord, privateKeyPath: string): Promise<string> {
  const ssh = await HarnessSsh.connect(record, privateKeyPath, 5_000);
  try {
    const r = await ssh.exec('systemctl is-active ssh');
    return r.stdout.trim() || r.stderr.trim();
  } finally {
    ssh.close();
  }
}

export async function waitUntilReady(record: HostRecord, privateKeyPath: string, timeoutMs = READY_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    if (!isAlive(record.pid)) {
      throw new TestHostsError(`test host ${record.name} stopped while booting${consoleSays(record)}`, {
        host: record.name,
        hint: HINT,
      });
    }
    try {
      last = await sshIsActive(record, privateKeyPath);
      if (last === 'active') return;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) {
      throw new TestHostsError(
        `test host ${record.name} (${record.user}@${record.address}:${record.port}) not ready after ` +
          `${timeoutMs / 1000} s: ${last}${consoleSays(record)}`,
        { host: record.name, hint: HINT },
      );
    }
    await sleep(POLL_MS);
  }
}
