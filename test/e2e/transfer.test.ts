// How binaries reach the hosts (profile download.transfer / download.from), with the built CLI on the harness hosts:
// compressed uploads (the default) and the summary's delivered and wire bytes.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHosts, type TestCluster } from '../harness/hosts/index.js';
import { startMirror, type Mirror } from '../harness/mirror/index.js';
import { describeWithHosts } from '../harness/skip.js';
import type { RunSummary } from '../../src/tasks/records.js';
import { e2eProfile, kubectl, onHost, runCli, writeProfile, type CliRun } from './helpers.js';

const summaryOf = (run: CliRun): RunSummary => JSON.parse(readFileSync(/Summary: (.*)summary\.txt/.exec(run.out)![1] + 'summary.json', 'utf8'));
const summaryText = (run: CliRun) => readFileSync(/Summary: (.*summary\.txt)/.exec(run.out)![1]!, 'utf8');
const logOf = (run: CliRun, host: string) => readFileSync(/Summary: (.*)summary\.txt/.exec(run.out)![1] + `${host.replace(/[^A-Za-z0-9._-]/g, '_')}.log`, 'utf8');

describeWithHosts('binaries to the hosts: compressed uploads', () => {
  let cluster: TestCluster;
  let mirror: Mirror;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeup-e2e-transfer-'));
    [cluster, mirror] = await Promise.all([startHosts({ count: 2 }), startMirror()]);
    env = { HOME: dir, KUBEUP_CONFIG_DIR: join(dir, 'config'), KUBEUP_STATE_DIR: join(dir, 'state'), KUBECONFIG: join(dir, 'kubeconfig') };
  });
  afterAll(async () => {
    await Promise.allSettled([cluster?.stop(), mirror?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('default profile: binaries go zstd-compressed, once compressed in the cache; the summary counts delivered and wire bytes', async () => {
    const cache = join(dir, 'cache');
    const file = writeProfile(dir, e2eProfile('zip', cluster, mirror, ['a', 'i'], cache));
    const up = await runCli(['up', '--file', file, '--yes'], env, 600_000, true);
    expect(up.code, `${up.out}\n${up.err}`).toBe(0);
    expect(kubectl(env.KUBECONFIG!, ['--context', 'zip', 'get', 'nodes', '--no-headers'])).toMatch(/^h2\s+Ready\s/);

    const summary = summaryOf(up);
    const hosts = Object.keys(summary.hosts);
    expect(hosts).toHaveLength(2);
    for (const id of hosts) {
      const r = summary.hosts[id]!.record!;
      expect(r.bytesUploaded, id).toBeGreaterThan(1024 * 1024);
      expect(r.wireBytes, id).toBeGreaterThan(0);
      expect(r.wireBytes, id).toBeLessThan(r.bytesUploaded * 0.8);
      // The host's log says how each binary went.
      expect(logOf(up, id)).toMatch(/wrote \/opt\/bin\/\S+ \(\d+ bytes, \d+ bytes sent zstd-compressed, mode 755\)/);
    }
    // The summary's table and the run's output give both figures, per host and in total.
    expect(summaryText(up)).toMatch(/^host +delivered +on wire +files changed/m);
    expect(summaryText(up)).toMatch(/^total +\d+\.\d MiB +\d+\.\d MiB$/m);
    expect(up.out).toMatch(/Provision hosts: 2 hosts: [\d.]+ MiB delivered, [\d.]+ MiB on the wire \(\d+ %\)/);
    expect(up.out).toMatch(/files changed \([\d.]+ [KM]iB delivered, [\d.]+ [KM]iB on the wire\)/);

    // Compressed once per binary, in the cache, under its sha256: as many copies as distinct binaries, whatever the hosts.
    const copies = readdirSync(join(cache, 'encoded')).filter((f) => f.endsWith('.zst'));
    expect(copies.length).toBeGreaterThan(5);
    const kubelet = onHost(cluster, 1, 'sha256sum /opt/bin/kubelet').split(' ')[0]!;
    expect(existsSync(join(cache, 'encoded', `${kubelet}.zst`))).toBe(true);
    // Nothing left behind on the host: no compressed temp files beside the binaries.
    expect(onHost(cluster, 1, "find /opt/bin /opt/cni/bin /tmp -name '*.kubeup-*' -o -name 'kubeup-upload.*' | wc -l").trim()).toBe('0');

    // A re-run finds everything in place: nothing delivered, nothing on the wire, no copy made again.
    const mtimes = copies.map((c) => readFileSync(join(cache, 'encoded', `${c}.sha256`), 'utf8'));
    const again = await runCli(['up', '--file', file, '--yes'], env, 600_000, true);
    expect(again.code, `${again.out}\n${again.err}`).toBe(0);
    for (const id of hosts) expect(summaryOf(again).hosts[id]!.record).toMatchObject({ bytesUploaded: 0, wireBytes: 0 });
    expect(readdirSync(join(cache, 'encoded')).filter((f) => f.endsWith('.zst'))).toEqual(copies);
    expect(copies.map((c) => readFileSync(join(cache, 'encoded', `${c}.sha256`), 'utf8'))).toEqual(mtimes);

    const down = await runCli(['down', '--file', file, '--yes'], env, 600_000, true);
    expect(down.code, `${down.out}\n${down.err}`).toBe(0);
  });
});
