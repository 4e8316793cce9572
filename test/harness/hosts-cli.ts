// npm run hosts -- up [N] [--machine full|restricted] [--restricted hN]... [--sudo hN]... [--port hN=PORT]... | down | status
// Brings test hosts up by hand (they stay until `down`), shows them, or removes them and any leftovers.

import { hostsStatus, startHosts, stopAllHosts, TestHostsError, type HostVariant, type MachineKind } from './hosts/index.js';
import { KubeupError } from '../../src/errors.js';

const USAGE = `usage: npm run hosts -- up [COUNT] [--machine full|restricted] [--restricted hN]... [--sudo hN]... [--port hN=PORT]...
       npm run hosts -- down
       npm run hosts -- status`;

function hostNumber(arg: string | undefined, flag: string): number {
  const m = /^h?(\d+)$/.exec(arg ?? '');
  if (!m) throw new TestHostsError(`${flag} needs a host such as h2, got ${arg ?? 'nothing'}`, { hint: USAGE });
  return Number(m[1]);
}

export function parseUpArgs(args: readonly string[]): { count: number; machine?: MachineKind; variants: Record<number, HostVariant> } {
  let count = 3;
  let machine: MachineKind | undefined;
  const variants: Record<number, HostVariant> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--sudo') {
      const n = hostNumber(args[++i], '--sudo');
      variants[n] = { ...variants[n], sudoPassword: true };
    } else if (arg === '--machine') {
      // startHosts checks the value and names the field.
      machine = args[++i] as MachineKind;
    } else if (arg === '--restricted') {
      const n = hostNumber(args[++i], '--restricted');
      variants[n] = { ...variants[n], machine: 'restricted' };
    } else if (arg === '--port') {
      const [host, port] = (args[++i] ?? '').split('=');
      const n = hostNumber(host, '--port');
      variants[n] = { ...variants[n], sshPort: Number(port) };
    } else if (/^\d+$/.test(arg)) {
      count = Number(arg);
    } else {
      throw new TestHostsError(`unknown argument ${arg}`, { hint: USAGE });
    }
  }
  return { count, ...(machine && { machine }), variants };
}

async function up(args: readonly string[]): Promise<void> {
  const { count, machine, variants } = parseUpArgs(args);
  const began = Date.now();
  const cluster = await startHosts({ count, machine, variants, persistent: true, log: (l) => console.log(l) });
  console.log(`ready in ${((Date.now() - began) / 1000).toFixed(1)} s\n`);
  for (const h of cluster.hosts) {
    const sudo = h.sudoPassword === undefined ? '' : `  sudo password in ${h.dir}/sudo-password`;
    console.log(`${h.name}  ${h.user}@${h.address}  port ${h.port}  ${h.machine}  ${h.hostKeySha256}${sudo}`);
  }
  const first = cluster.hosts[0];
  console.log(`\nkey:         ${cluster.privateKeyPath}`);
  console.log(`known_hosts: ${cluster.knownHostsPath}`);
  if (first) {
    console.log(
      `example:     ssh -i ${cluster.privateKeyPath} -o UserKnownHostsFile=${cluster.knownHostsPath} ` +
        `-p ${first.port} ${first.user}@${first.address} systemctl is-active ssh`,
    );
  }
  console.log('stop with:   npm run hosts -- down');
}

function status(): void {
  const hosts = hostsStatus();
  if (hosts.length === 0) {
    console.log('no test hosts');
    return;
  }
  for (const h of hosts) {
    const state = h.running ? `running (pid ${h.pid})` : 'not running (leftover: `npm run hosts -- down` removes it)';
    console.log(`${h.name}  ${h.user}@${h.address}  port ${h.port}  ${h.machine}  ${state}`);
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'up') return up(rest);
  if (command === 'down') {
    await stopAllHosts();
    console.log('test hosts stopped and removed');
    return;
  }
  if (command === 'status') return status();
  throw new TestHostsError(command ? `unknown command ${command}` : 'no command given', { hint: USAGE });
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof KubeupError ? e.describe() : e);
  process.exitCode = 1;
});
