import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { executeSteps } from '../../../src/provision/execute.js';
import { binaryContent, transferEncoding } from '../../../src/provision/transfer.js';
import type { Step } from '../../../src/provision/steps.js';
import { FakeSession } from '../../../src/ssh/fake.js';

const unitFile: Step = { kind: 'upload', path: '/etc/systemd/system/etcd.service', mode: 0o644, owner: 'root:root', source: { text: '[Unit]\n' }, sensitive: false, restarts: ['etcd.service'], what: 'file' };
const options: Step = { kind: 'upload', path: '/etc/default/kubelet', mode: 0o644, owner: 'root:root', source: { text: 'KUBELET_OPTS="--v=2"\n' }, sensitive: false, restarts: ['kubelet.service'], what: 'file' };
const key: Step = { kind: 'upload', path: '/etc/kubernetes/pki/kubelet.key', mode: 0o600, owner: 'root:root', source: { text: 'PRIVATE' }, sensitive: true, restarts: ['kubelet.service'], what: 'key' };
const units: Step = { kind: 'units', units: ['etcd.service', 'kubelet.service'] };

/** Answers kubeup's one-round-trip file check from the fake host's files, like sha256sum and stat would. */
function answerFileStates(s: FakeSession, recovered = ''): FakeSession {
  return s
    .on(/^sh -c 'm=\$1/, { stdout: recovered })
    .on(/^sh -c 'f=\$1; shift/, {})
    .on(['rm', '-f', '--', '/var/lib/kubeup/pending-restarts'], {})
    .on(/^sh -c 'sums= /, (command) => {
    // Arguments come in pairs: path, then a sha256 or "-".
    const paths = command.slice(command.lastIndexOf("' sh ") + 5).split(' ').filter((_, i) => i % 2 === 0);
    const lines = paths.map((p) => {
      const f = s.files.get(p);
      return f ? `${createHash('sha256').update(f.content).digest('hex')} ${f.mode.toString(8)} ${f.owner}` : 'absent';
    });
    return { stdout: lines.join('\n') + '\n' };
  });
}

/** A host whose units report the given states for is-enabled and is-active. */
function host(enabled: string[], active: string[], recovered = ''): FakeSession {
  return answerFileStates(new FakeSession(), recovered)
    .on(['systemctl', 'is-enabled', 'etcd.service', 'kubelet.service'], { stdout: enabled.join('\n') + '\n', code: enabled.every((e) => e === 'enabled') ? 0 : 1 })
    .on(['systemctl', 'is-active', 'etcd.service', 'kubelet.service'], { stdout: active.join('\n') + '\n', code: active.every((a) => a === 'active') ? 0 : 3 });
}

describe('executeSteps', () => {
  it('first run: uploads everything, reloads systemd, enables and starts the units in order', async () => {
    const s = host(['disabled', 'disabled'], ['inactive', 'inactive'])
      .on(['systemctl', 'daemon-reload'], {}, { times: 1 })
      .on(['systemctl', 'enable', 'etcd.service', 'kubelet.service'], {}, { times: 1 })
      .on(['systemctl', 'restart', '--no-block', 'etcd.service'], {}, { times: 1 })
      .on(['systemctl', 'restart', '--no-block', 'kubelet.service'], {}, { times: 1 });
    const r = await executeSteps(s, [unitFile, options, key, units]);
    s.assertAllUsed();
    expect(r.filesChanged).toEqual(['/etc/systemd/system/etcd.service', '/etc/default/kubelet', '/etc/kubernetes/pki/kubelet.key']);
    expect(r.unitsStarted).toEqual(['etcd.service', 'kubelet.service']);
    expect(r.unitsRestarted).toEqual([]);
    const cmds = s.commands();
    expect(cmds.indexOf('systemctl restart --no-block etcd.service')).toBeLessThan(cmds.indexOf('systemctl restart --no-block kubelet.service'));
    expect(s.files.get('/etc/kubernetes/pki/kubelet.key')!.mode).toBe(0o600);
    expect(s.calls.find((c) => c.kind === 'upload' && c.path.endsWith('.key'))).toMatchObject({ sensitive: true });
  });

  it('re-run on an up-to-date host: no upload, no reload, no enable, no restart', async () => {
    const s = host(['enabled', 'enabled'], ['active', 'active']);
    for (const step of [unitFile, options, key]) {
      if (step.kind === 'upload' && 'text' in step.source) s.addFile(step.path, step.source.text, step.mode);
    }
    const r = await executeSteps(s, [unitFile, options, key, units]);
    expect(r).toMatchObject({ filesChanged: [], bytesUploaded: 0, unitsRestarted: [], unitsStarted: [], filesUnchanged: 3 });
    expect(s.commands().filter((c) => /^systemctl (daemon-reload|enable|restart|start)/.test(c))).toEqual([]);
    // Nothing was owed, so the pending-restarts file was neither written nor removed.
    expect(s.commands().filter((c) => c.includes('pending-restarts') && !c.startsWith("sh -c 'm=$1"))).toEqual([]);
    // One round trip looked at all three files; none was handed to upload.
    expect(s.commands().filter((c) => c.startsWith("sh -c 'sums= "))).toHaveLength(1);
    expect(s.calls.filter((c) => c.kind === 'upload')).toEqual([]);
  });

  it('restarts only the units whose inputs changed, and starts a unit that is down', async () => {
    const s = host(['enabled', 'enabled'], ['failed', 'active']).on(['systemctl', 'restart', '--no-block', 'etcd.service'], {}, { times: 1 }).on(['systemctl', 'restart', '--no-block', 'kubelet.service'], {}, { times: 1 });
    s.addFile(unitFile.kind === 'upload' ? unitFile.path : '', '[Unit]\n');
    s.addFile('/etc/default/kubelet', 'KUBELET_OPTS="--v=1"\n'); // changed content
    const r = await executeSteps(s, [unitFile, options, units]);
    s.assertAllUsed();
    expect(r.unitsRestarted).toEqual(['kubelet.service']);
    expect(r.unitsStarted).toEqual(['etcd.service']);
    expect(s.commands()).not.toContain('systemctl daemon-reload');
  });

  it('a best-effort fix that fails becomes a warning; a required step that fails stops the host', async () => {
    const s = new FakeSession().on(/^sh -c 'm=\$1/, {}).on(['modprobe', '-a', 'overlay'], { code: 1, stderr: 'modprobe: FATAL: Module overlay not found' }).on(['install', '-d', '/x'], { code: 1, stderr: 'Read-only file system' });
    const r = await executeSteps(s, [{ kind: 'exec', title: 'load kernel modules', argv: ['modprobe', '-a', 'overlay'], bestEffort: true }]);
    expect(r.warnings).toEqual(['load kernel modules did not work (modprobe: FATAL: Module overlay not found); continuing']);
    await expect(executeSteps(s, [{ kind: 'exec', title: 'make dir', argv: ['install', '-d', '/x'] }])).rejects.toThrow(/Read-only file system/);
  });

  it('never writes a private key into the log', async () => {
    const lines: string[] = [];
    const s = host(['enabled', 'enabled'], ['active', 'active']).on(['systemctl', 'restart', '--no-block', 'kubelet.service']);
    await executeSteps(s, [key, units], { log: (l) => lines.push(l) });
    expect(lines.join('\n')).toContain('/etc/kubernetes/pki/kubelet.key');
    expect(lines.join('\n')).not.toContain('PRIVATE');
  });

  it('after an interrupted run: removes its temporary files, and does the restarts it owed though the files are up to date', async () => {
    const s = host(['enabled', 'enabled'], ['active', 'active'], '/etc/default/.kubelet.kubeup-0a1b2c\npending kubelet.service\npending daemon-reload\n')
      .on(['systemctl', 'daemon-reload'], {}, { times: 1 })
      .on(['systemctl', 'restart', '--no-block', 'kubelet.service'], {}, { times: 1 });
    s.addFile('/etc/default/kubelet', 'KUBELET_OPTS="--v=2"\n');
    const r = await executeSteps(s, [options, units]);
    expect(s.commands().filter((c) => c === 'systemctl daemon-reload')).toHaveLength(1);
    expect(r.filesChanged).toEqual([]);
    expect(r.unitsRestarted).toEqual(['kubelet.service']);
    expect(s.commands().at(-1)).toBe('rm -f -- /var/lib/kubeup/pending-restarts');
    expect(r.warnings).toEqual([
      'removed 1 temporary file an interrupted run left: /etc/default/.kubelet.kubeup-0a1b2c',
      'an interrupted run left restarts undone: kubelet.service, daemon-reload; doing them now',
    ]);
    // The recovery looked only in the folders the steps write into.
    expect(s.commands()[0]).toMatch(/ sh \/var\/lib\/kubeup\/pending-restarts \/var\/lib\/kubeup\/pending-pairs \/etc\/default$/);
  });

  it('records the restarts a change owes before uploading it', async () => {
    const s = host(['enabled', 'enabled'], ['active', 'active']).on(['systemctl', 'restart', '--no-block', 'kubelet.service']);
    await executeSteps(s, [options, units]);
    const cmds = s.commands();
    const owe = cmds.findIndex((c) => /printf/.test(c) && c.endsWith('/var/lib/kubeup/pending-restarts kubelet.service'));
    expect(owe).toBeGreaterThan(0);
    expect(owe).toBeLessThan(s.calls.findIndex((c) => c.kind === 'upload'));
    expect(cmds.at(-1)).toBe('rm -f -- /var/lib/kubeup/pending-restarts');
  });

  it('a partial list of steps (one upgrade step) keeps the restarts other units still owe', async () => {
    const etcdOnly: Step = { kind: 'units', units: ['etcd.service'] };
    const s = answerFileStates(new FakeSession(), 'pending kubelet.service\npending etcd.service\n')
      .on(['systemctl', 'is-enabled', 'etcd.service'], { stdout: 'enabled\n' })
      .on(['systemctl', 'is-active', 'etcd.service'], { stdout: 'active\n' })
      .on(['systemctl', 'restart', '--no-block', 'etcd.service'], {}, { times: 1 });
    const r = await executeSteps(s, [etcdOnly]);
    expect(r.unitsRestarted).toEqual(['etcd.service']);
    const last = s.commands().at(-1)!;
    expect(last).toMatch(/mv -f -- .*\/var\/lib\/kubeup\/pending-restarts kubelet\.service$/);
    expect(s.commands()).not.toContain('rm -f -- /var/lib/kubeup/pending-restarts');
  });
});

describe('compressed binaries (download.transfer)', () => {
  const profile = (transfer?: 'compressed' | 'plain') => ({ download: { mirrors: {}, ...(transfer && { transfer }) } });

  it('compressed by default in the best format both sides have; plain, or no shared format, sends the file as it is', () => {
    expect(transferEncoding({ profile: profile(), hostEncodings: ['gzip', 'zstd'], operatorEncodings: ['zstd', 'gzip'] })).toBe('zstd');
    expect(transferEncoding({ profile: profile('compressed'), hostEncodings: ['gzip'], operatorEncodings: ['zstd', 'gzip'] })).toBe('gzip');
    expect(transferEncoding({ profile: profile('plain'), hostEncodings: ['gzip', 'zstd'], operatorEncodings: ['zstd', 'gzip'] })).toBeUndefined();
    expect(transferEncoding({ profile: profile(), hostEncodings: [], operatorEncodings: ['zstd', 'gzip'] })).toBeUndefined();
    expect(binaryContent({ profile: profile('plain'), cacheDir: '/nowhere', hostEncodings: ['gzip'], operatorEncodings: ['gzip'] })).toBeUndefined();
  });

  it('a changed binary goes compressed and the record counts delivered and wire bytes apart; text files go as they are', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kubeup-exec-'));
    try {
      const bin = join(dir, 'kubelet');
      const bytes = Buffer.from('ELF kubelet '.repeat(5000));
      await writeFile(bin, bytes);
      const binary: Step = { kind: 'upload', path: '/opt/bin/kubelet', mode: 0o755, owner: 'root:root', source: { localPath: bin }, sensitive: false, restarts: [], what: 'binary' };
      const s = answerFileStates(new FakeSession());
      const content = binaryContent({ profile: profile(), cacheDir: join(dir, 'cache'), hostEncodings: ['gzip'], operatorEncodings: ['gzip'] })!;
      const r = await executeSteps(s, [binary, options], { binaryContent: content });
      const uploads = s.calls.filter((c) => c.kind === 'upload');
      expect(uploads.map((u) => [u.path, u.how]).sort()).toEqual([
        ['/etc/default/kubelet', 'sent'],
        ['/opt/bin/kubelet', 'encoded'],
      ]);
      expect(s.files.get('/opt/bin/kubelet')!.content.equals(bytes)).toBe(true);
      const text = 'KUBELET_OPTS="--v=2"\n'.length;
      expect(r.bytesUploaded).toBe(bytes.length + text);
      expect(r.wireBytes).toBeGreaterThan(text);
      expect(r.wireBytes).toBeLessThan(bytes.length / 10);
      // A second host gets the same compressed copy; an up-to-date host gets nothing and no wire bytes.
      const again = await executeSteps(s, [binary, options], { binaryContent: content });
      expect(again).toMatchObject({ bytesUploaded: 0, wireBytes: 0, filesUnchanged: 2 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('download.from: hosts', () => {
  it('a changed binary from a release is downloaded by the host (tarball member and bare file), checked there; nothing else changes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kubeup-exec-'));
    try {
      const kubelet = join(dir, 'kubelet');
      const bridge = join(dir, 'bridge');
      const kubeletBytes = Buffer.from('ELF kubelet '.repeat(500));
      const bridgeBytes = Buffer.from('ELF bridge '.repeat(500));
      await writeFile(kubelet, kubeletBytes);
      await writeFile(bridge, bridgeBytes);
      const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      const artifact = (url: string) => ({ url }) as never;
      const artifacts = [
        { artifact: artifact('http://mirror/kubelet'), file: kubelet, sha256: sha(kubeletBytes), fromCache: true, binaries: [{ name: 'kubelet', path: kubelet }] },
        { artifact: artifact('http://mirror/cni.tgz'), file: join(dir, 'cni.tgz'), sha256: 'c'.repeat(64), fromCache: true, binaries: [{ name: 'bridge', member: './bridge', path: bridge }] },
      ] as never;
      const step = (path: string, localPath: string): Step => ({ kind: 'upload', path, mode: 0o755, owner: 'root:root', source: { localPath }, sensitive: false, restarts: [], what: 'binary' });
      const s = answerFileStates(new FakeSession());
      s.fetchable.set('http://mirror/kubelet', kubeletBytes);
      s.fetchable.set('http://mirror/cni.tgz#./bridge', bridgeBytes);
      const profile = { download: { mirrors: {}, from: 'hosts' as const, proxy: 'http://proxy:3128' } };
      const content = binaryContent({ profile, cacheDir: join(dir, 'cache'), hostEncodings: ['gzip'], operatorEncodings: ['gzip'], hostFetchers: ['wget', 'curl'], artifacts })!;
      const lines: string[] = [];
      const r = await executeSteps(s, [step('/opt/bin/kubelet', kubelet), step('/opt/cni/bin/bridge', bridge), options], { binaryContent: content, log: (l) => lines.push(l) });
      const uploads = s.calls.filter((c) => c.kind === 'upload');
      expect(uploads.map((u) => [u.path, u.how]).sort()).toEqual([
        ['/etc/default/kubelet', 'sent'],
        ['/opt/bin/kubelet', 'fetched'],
        ['/opt/cni/bin/bridge', 'fetched'],
      ]);
      expect(s.files.get('/opt/cni/bin/bridge')!.content.equals(bridgeBytes)).toBe(true);
      // Only the text file went over SSH.
      expect(r.wireBytes).toBe('KUBELET_OPTS="--v=2"\n'.length);
      expect(lines).toContain(`wrote /opt/cni/bin/bridge (${bridgeBytes.length} bytes, fetched by the host from http://mirror/cni.tgz (./bridge), mode 755)`);
      // The host's download tool of choice, its folder and the proxy travel with each fetch.
      const fetched = await content({ localPath: kubelet }, sha(kubeletBytes));
      expect(fetched).toEqual({ fetch: { tool: 'wget', url: 'http://mirror/kubelet', sha256: sha(kubeletBytes), downloadsDir: '/var/lib/kubeup/downloads', proxy: 'http://proxy:3128' }, sha256: sha(kubeletBytes), size: kubeletBytes.length });
      // A file that is not from a release artefact goes from this machine, compressed.
      const other = join(dir, 'other');
      await writeFile(other, Buffer.from('x'.repeat(10_000)));
      expect(await content({ localPath: other }, sha(Buffer.from('x'.repeat(10_000))))).toMatchObject({ encoded: { format: 'gzip' }, plainPath: other });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a host without curl or wget is refused, naming the field', () => {
    expect(() => binaryContent({ profile: { download: { mirrors: {}, from: 'hosts' } }, cacheDir: '/nowhere', hostEncodings: [], operatorEncodings: [], hostFetchers: [] })).toThrow(/neither curl nor wget/);
  });
});
