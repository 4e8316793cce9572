// deployed.json in the profile's state folder: the hosts kubeup provisioned and what it wrote on each. It is how `up`
// knows that a host was removed from the profile, and the baseline that tells drift from a planned change.
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DeployError } from './errors.js';
import type { DeployedHost, DeployedRecord } from './plan/diff.js';
import { ensurePrivateDir, writeFileAtomic } from './pki/index.js';

export const RECORD_FILE = 'deployed.json';

export function recordPath(stateDir: string): string {
  return join(stateDir, RECORD_FILE);
}

export function readDeployedRecord(stateDir: string): DeployedRecord | undefined {
  const file = recordPath(stateDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DeployError(`cannot read the record of deployed hosts: ${(e as Error).message}`, { file, hint: 'check the file\'s owner and mode (it is yours, 0600)' });
  }
  let parsed: DeployedRecord;
  try {
    parsed = JSON.parse(text) as DeployedRecord;
  } catch {
    parsed = { version: 0 } as unknown as DeployedRecord;
  }
  if (parsed.version !== 1 || !Array.isArray(parsed.hosts)) {
    throw new DeployError('the record of deployed hosts is damaged', {
      file,
      hint: 'move the file away; the next `kubeup up` writes it again for the hosts of the profile (hosts removed from the profile meanwhile are then not known)',
    });
  }
  return parsed;
}

/** Replaces the given hosts (by id) and drops `remove`; other hosts stay as they were. */
export async function updateDeployedRecord(stateDir: string, profile: string, put: readonly DeployedHost[], remove: readonly string[] = []): Promise<DeployedRecord> {
  const current = readDeployedRecord(stateDir) ?? { version: 1, profile, hosts: [] };
  const replaced = new Map(put.map((h) => [h.id, h]));
  const gone = new Set(remove);
  const hosts = current.hosts.filter((h) => !gone.has(h.id)).map((h) => replaced.get(h.id) ?? h);
  for (const h of put) if (!current.hosts.some((c) => c.id === h.id)) hosts.push(h);
  const next: DeployedRecord = { version: 1, profile, hosts };
  // No host left (kubeup down, the last worker removed): no record, as before the first deploy.
  if (hosts.length === 0) {
    await rm(recordPath(stateDir), { force: true });
    return next;
  }
  await ensurePrivateDir(stateDir);
  await writeFileAtomic(recordPath(stateDir), `${JSON.stringify(next, null, 2)}\n`);
  return next;
}
