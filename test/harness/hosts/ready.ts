// A host is up when its sshd answers our key, shows the recorded host key and `systemctl is-active ssh` says active.

import { TestHostsError } from './errors.js';
import { consoleTail } from './host.js';
import { isAlive } from './processes.js';
import type { HostRecord } from './record.js';
import { HarnessSsh } from './ssh.js';

const POLL_MS = 500;
export const READY_TIMEOUT_MS = 60_000;

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
      throw new TestHostsError(`test host ${record.name} stopped while booting`, {
        host: record.name,
        hint: `console log ${record.dir}/console.log ends with:\n${consoleTail(record)}`,
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
        `test host ${record.name} (${record.user}@${record.address}:${record.port}) not ready after ${timeoutMs / 1000} s: ${last}`,
        { host: record.name, hint: `console log ${record.dir}/console.log ends with:\n${consoleTail(record)}` },
      );
    }
    await sleep(POLL_MS);
  }
}
