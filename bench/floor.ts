// The floor of a no-op re-run: what any tool must spend to learn that N hosts need nothing. Connect and
// authenticate to every host at once and run one read-only command on each (kubeup's own SSH layer, in this
// process), plus the start-up of the built CLI (node loading dist/cli.js). OpenSSH's figure is printed beside it.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connectHost } from '../src/tasks/connect.js';
import { readProfileFile } from '../src/profile/yaml.js';
import type { TestCluster } from '../test/harness/hosts/index.js';
import { REPO } from '../test/e2e/helpers.js';

const run = promisify(execFile);

export interface Floor {
  /** node dist/cli.js --version, wall. */
  startupMs: number;
  /** kubeup's SSH layer: N connections opened at once, one `systemctl is-active` on each, all closed. */
  sshMs: number;
  /** The same with OpenSSH: one `ssh host systemctl is-active ...` per host, all at once. */
  opensshMs: number;
}

const ms = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e6;

/** Best of `tries` (the floor is the least a round can cost, not an average disturbed by other work). */
async function best(tries: number, fn: () => Promise<void>): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < tries; i++) {
    const t = process.hrtime.bigint();
    await fn();
    min = Math.min(min, ms(t));
  }
  return min;
}

export async function measureFloor(profileFile: string, cluster: TestCluster, hosts: number, units: readonly string[]): Promise<Floor> {
  const profile = readProfileFile(profileFile);
  const specs = profile.hosts.slice(0, hosts);
  const startupMs = await best(3, async () => void (await run(process.execPath, [join(REPO, 'dist', 'cli.js'), '--version'])));
  const sshMs = await best(3, async () => {
    await Promise.all(
      specs.map(async (host, i) => {
        const { session } = await connectHost({ host, field: `hosts[${i}]`, profile, acceptNewHostKeys: false, secrets: {} });
        try {
          await session.exec(['systemctl', 'is-active', ...units], { allowFailure: true });
        } finally {
          await session.close();
        }
      }),
    );
  });
  const opensshMs = await best(3, async () => {
    await Promise.all(
      cluster.hosts.slice(0, hosts).map((h) =>
        run('ssh', ['-i', cluster.privateKeyPath, '-o', `UserKnownHostsFile=${cluster.knownHostsPath}`, '-o', 'BatchMode=yes', '-p', String(h.port), `root@${h.address}`, 'systemctl', 'is-active', ...units]).catch((e: { code?: number }) => {
          // is-active exits non-zero when a unit is not active: the round trip is what is measured.
          if (typeof e.code !== 'number') throw e;
        }),
      ),
    );
  });
  return { startupMs, sshMs, opensshMs };
}
