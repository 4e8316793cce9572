// Each failure a user can meet gives a clear message and exit code, and leaves the hosts consistent: nothing
// half-written, healthy hosts complete.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHosts, type TestCluster } from '../harness/hosts/index.js';
import { startMirror, type Mirror } from '../harness/mirror/index.js';
import { describeWithHosts } from '../harness/skip.js';
import { e2eProfile, onHost, REPO, runCli, writeProfile } from './helpers.js';

/** Every file of every run log folder of a profile, as one string. */
function runLogs(stateDir: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(readFileSync(join(d, e.name), 'utf8'));
    }
  };
  walk(stateDir);
  return out.join('\n');
}

const nothingInstalled = (cluster: TestCluster, i: number) => onHost(cluster, i, 'ls /opt/bin /etc/kubernetes /etc/systemd/system/kubelet.service 2>/dev/null; true').trim();

describeWithHosts('failures during kubeup up', () => {
  let cluster: TestCluster;
  let mirror: Mirror;
  let dir: string;
  let env: Record<string, string>;
  const cache = () => join(dir, 'cache');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeup-e2e-fail-'));
    [cluster, mirror] = await Promise.all([startHosts({ count: 4, variants: { 4: { sudoPassword: true } } }), startMirror()]);
    env = { HOME: dir, KUBEUP_CONFIG_DIR: join(dir, 'config'), KUBEUP_STATE_DIR: join(dir, 'state'), KUBECONFIG: join(dir, 'kubeconfig'), KUBEUP_VERIFY_TIMEOUT_MS: '30000' };
  });
  afterAll(async () => {
    await Promise.allSettled([cluster?.stop(), mirror?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a wrong SSH key: preflight fails for every host, saying which key was refused', async () => {
    const key = join(dir, 'wrong_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const profile = e2eProfile('wrongkey', cluster, mirror, ['ai', 'i'], cache());
    const file = writeProfile(dir, { ...profile, ssh: { ...profile.ssh, identityFile: key } });
    const r = await runCli(['up', '--file', file, '--yes'], env);
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/preflight found 2 problems/);
    expect(r.err).toMatch(/192\.168\.213\.11: ssh: Permission denied/);
    expect(r.err).toMatch(/192\.168\.213\.12: ssh: Permission denied/);
    expect(r.err).toContain(key);
    expect(nothingInstalled(cluster, 0)).toBe('');
  });

  it('an unknown host key with --yes fails and prints the fingerprint; --accept-new-host-keys learns it', async () => {
    const knownHosts = join(dir, 'empty_known_hosts');
    writeFileSync(knownHosts, '');
    const profile = e2eProfile('newkeys', cluster, mirror, ['ai', 'i'], cache());
    const file = writeProfile(dir, { ...profile, ssh: { ...profile.ssh, knownHosts } });
    const r = await runCli(['up', '--file', file, '--yes'], env);
    expect(r.code).toBe(4);
    expect(r.err).toContain(cluster.hosts[0]!.hostKeySha256);
    expect(r.err).toMatch(/--accept-new-host-keys/);
    expect(readFileSync(knownHosts, 'utf8')).toBe('');
    // Accepting: preflight passes; a missing release then stops the run before anything reaches the hosts.
    mirror.faults.set('**/kubelet', { kind: 'status', status: 404 });
    try {
      const accepted = await runCli(['up', '--file', file, '--yes', '--accept-new-host-keys'], env);
      expect(accepted.code, accepted.err).toBe(5);
      expect(accepted.err).toMatch(/kubelet/);
    } finally {
      mirror.faults.clear();
    }
    const learned = readFileSync(knownHosts, 'utf8');
    expect(learned).toContain('192.168.213.11');
    expect(learned).toContain('192.168.213.12');
    expect(nothingInstalled(cluster, 0)).toBe('');
  });

  it('a wrong sudo password: refused, and the password is never printed or logged', async () => {
    const host = cluster.hosts[3]!;
    const wrong = 'not-the-Password-42';
    const profile = { ...e2eProfile('sudo', cluster, mirror, [], cache()), hosts: [{ address: host.address, user: host.user, roles: 'ai' }] };
    const file = writeProfile(dir, { ...profile, ssh: { ...profile.ssh, sudoPassword: true } });
    const r = await runCli(['up', '--file', file, '--yes'], { ...env, KUBEUP_SUDO_PASSWORD: wrong });
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/sudo password rejected/);
    expect(r.out + r.err).not.toContain(wrong);
    expect(runLogs(join(env.KUBEUP_STATE_DIR!, 'clusters', 'sudo'))).not.toContain(wrong);
  });

  it('a checksum mismatch at the mirror: the download fails, the file is discarded, nothing is uploaded', async () => {
    mirror.faults.set('**/kube-apiserver.sha256', { kind: 'wrong-checksum' });
    try {
      const file = writeProfile(dir, e2eProfile('badsum', cluster, mirror, ['ai', 'i'], join(dir, 'cache-badsum')));
      const r = await runCli(['up', '--file', file, '--yes'], env);
      expect(r.code).toBe(5);
      expect(r.err).toMatch(/sha256 mismatch for kube-apiserver/);
      expect(r.err).toMatch(/the file was deleted/);
    } finally {
      mirror.faults.clear();
    }
    const cached = execFileSync('find', [join(dir, 'cache-badsum'), '-name', 'kube-apiserver*'], { encoding: 'utf8' });
    expect(cached.trim()).toBe('');
    expect(nothingInstalled(cluster, 0)).toBe('');
    expect(nothingInstalled(cluster, 1)).toBe('');
  });

  it('a daemon refusing a flag: verify fails with the unit\'s journal lines', async () => {
    const file = writeProfile(dir, { ...e2eProfile('badflag', cluster, mirror, ['ai', 'i'], cache()), extraArgs: { kubelet: ['--network-plugin=cni'] } });
    const r = await runCli(['up', '--file', file, '--yes'], env);
    expect(r.code).toBe(5);
    expect(r.err).toMatch(/verify-cluster failed on 2 hosts/);
    // At its first exit, not after the 30 s bound: the unit's Error line, the profile field, and no usage dump.
    const diag = () => onHost(cluster, 1, 'systemctl show -p ActiveState,SubState,NRestarts,ActiveEnterTimestampMonotonic kubelet.service; head -n 3 /proc/timer_list; cat /proc/uptime; journalctl -u kubelet.service -o short-monotonic --no-pager | grep -v "^ *--" | tail -n 15');
    expect(r.err, `${r.out}\n--- kubelet on h2:\n${diag()}`).toMatch(/kubelet\.service exited (and was restarted \d+×|and is being restarted): Error: unknown flag: --network-plugin \(profile field extraArgs\.kubelet\[0\]\)/);
    expect(r.err).toMatch(/hint: fix extraArgs\.kubelet\[0\] in the profile/);
    expect(r.err).toMatch(/\(\d+ lines of usage text cut\)/);
    expect(r.err).not.toMatch(/--rotate-certificates/);
    const runs = join(env.KUBEUP_STATE_DIR!, 'clusters', 'badflag', 'runs');
    const last = readdirSync(runs).sort().at(-1)!;
    const summary = JSON.parse(readFileSync(join(runs, last, 'summary.json'), 'utf8')) as { phases: { phase: string; ms: number }[] };
    expect(summary.phases.find((p) => p.phase === 'verify')!.ms).toBeLessThan(15_000);
    // The control plane on h1 is fine; its units are up.
    expect(onHost(cluster, 0, 'systemctl is-active kube-apiserver etcd').trim()).toBe('active\nactive');
    expect((await runCli(['down', '--file', file, '--yes'], env)).code).toBe(0);
  });

  it('Ctrl-C while provisioning cancels between steps: exit 130, nothing half-written', async () => {
    const file = writeProfile(dir, e2eProfile('cancel', cluster, mirror, ['ai', 'i'], cache()));
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src/cli.ts'), 'up', '--file', file, '--yes'], {
      cwd: REPO,
      env: { PATH: process.env.PATH!, CI: 'true', ...env },
    });
    let out = '';
    let err = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!sent && /== Provision hosts/.test(out)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(sent).toBe(true);
    expect(code, `${out}\n${err}`).toBe(130);
    expect(err).toMatch(/SIGINT: cancelling after the steps under way/);
    for (const i of [0, 1]) {
      expect(onHost(cluster, i, 'find / -xdev -name ".*.kubeup-*" 2>/dev/null').trim()).toBe('');
    }
    expect((await runCli(['down', '--file', file, '--yes'], env)).code).toBe(0);
  });

  it('a host that dies during provisioning: named in the error; the healthy hosts are complete', async () => {
    const file = writeProfile(dir, e2eProfile('dies', cluster, mirror, ['ai', 'i', 'i'], cache()));
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src/cli.ts'), 'up', '--file', file, '--yes'], {
      cwd: REPO,
      env: { PATH: process.env.PATH!, CI: 'true', ...env },
    });
    let out = '';
    let err = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      // As soon as files start to flow to the third host, power it off.
      if (!killed && /upload \/opt\/bin/.test(out)) {
        killed = true;
        void cluster.hosts[2]!.stop({ abrupt: true });
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(killed).toBe(true);
    expect(code, `${out}\n${err}`).toBe(5);
    expect(err).toMatch(/provisioning failed on 1 host:\n {2}- 192\.168\.213\.13/);
    // h1 and h2 got everything, and no temporary file is left anywhere kubeup writes.
    for (const i of [0, 1]) {
      expect(onHost(cluster, i, 'find /opt/bin /opt/cni /etc/kubernetes /etc/default /etc/systemd/system -name ".*.kubeup-*" 2>/dev/null').trim()).toBe('');
      // Started, not waited for (the run stopped after provisioning): kubelet comes up once the API server is ready.
      expect(onHost(cluster, i, 'for n in $(seq 120); do systemctl is-active -q kubelet && break; sleep 0.5; done; systemctl is-active kubelet').trim()).toBe('active');
    }
    // The dead host is noticed by SSH keepalive (about a minute), not by waiting forever.
  }, 300_000);
});
