import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { diffCluster, diffHost, driftedFiles, formatDiff, hasChanges, redactLine, type DeployedHost, type DesiredFile, type ObservedHost } from '../../../src/plan/diff.js';
import { unifiedDiff } from '../../../src/plan/text-diff.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const text = (path: string, content: string, restarts: string[] = []): DesiredFile => ({ path, mode: 0o644, owner: 'root:root', sha256: sha(content), kind: 'file', text: content, restarts });
const binary = (path: string, bytes: string, restarts: string[]): DesiredFile => ({ path, mode: 0o755, owner: 'root:root', sha256: sha(bytes), kind: 'binary', restarts });
const key = (path: string, pem: string, restarts: string[]): DesiredFile => ({ path, mode: 0o600, owner: 'root:root', sha256: sha(pem), kind: 'key', restarts });

const OPTS_OLD = 'KUBELET_OPTS="--v=2 --node-ip=10.0.0.2"\n';
const OPTS_NEW = 'KUBELET_OPTS="--v=2 --node-ip=10.0.0.2 --max-pods=50"\n';
const UNITS = ['containerd.service', 'kubelet.service'];

function observed(files: Record<string, { content?: string; sha?: string; mode?: number; owner?: string } | 'absent'>, states: Record<string, string> = {}): ObservedHost {
  return {
    id: 'h2',
    files: Object.fromEntries(
      Object.entries(files).map(([path, f]) => [
        path,
        f === 'absent' ? { path, state: 'absent' as const } : { path, state: 'present' as const, sha256: f.sha ?? sha(f.content!), mode: f.mode ?? 0o644, owner: f.owner ?? 'root:root', ...(f.content !== undefined && { content: f.content }) },
      ]),
    ),
    units: Object.fromEntries(UNITS.map((u) => [u, { state: states[u] ?? 'active', since: 100 }])),
    nowUsec: 1000,
  };
}

function deployed(files: DesiredFile[]): DeployedHost {
  return {
    id: 'h2',
    spec: { address: 'h2', user: 'root', port: 22, roles: ['worker'] },
    nodeName: 'h2',
    roles: ['worker'],
    units: UNITS,
    files: Object.fromEntries(files.map((f) => [f.path, { sha256: f.sha256, mode: f.mode, owner: f.owner, kind: f.kind, ...(f.text !== undefined && { text: f.text }) }])),
  };
}

describe('diffHost', () => {
  it('an up-to-date host: nothing to write, nothing to restart', () => {
    const want = [text('/etc/default/kubelet', OPTS_OLD, ['kubelet.service'])];
    const d = diffHost({ id: 'h2', nodeName: 'h2', units: UNITS, desired: want, observed: observed({ '/etc/default/kubelet': { content: OPTS_OLD } }), deployed: deployed(want) });
    expect(d).toMatchObject({ action: 'unchanged', files: [], unitsRestart: [], unitsStart: [] });
  });

  it('a planned change (profile changed): a diff, the unit to restart, no drift', () => {
    const before = [text('/etc/default/kubelet', OPTS_OLD, ['kubelet.service'])];
    const want = [text('/etc/default/kubelet', OPTS_NEW, ['kubelet.service'])];
    const d = diffHost({ id: 'h2', nodeName: 'h2', units: UNITS, desired: want, observed: observed({ '/etc/default/kubelet': { content: OPTS_OLD } }), deployed: deployed(before) });
    expect(d.action).toBe('update');
    expect(d.unitsRestart).toEqual(['kubelet.service']);
    expect(d.files[0]).toMatchObject({ path: '/etc/default/kubelet', change: 'change', what: ['content'], drift: false });
    expect(d.files[0]!.diff).toContain('-KUBELET_OPTS="--v=2 --node-ip=10.0.0.2"');
    expect(d.files[0]!.diff).toContain('+KUBELET_OPTS="--v=2 --node-ip=10.0.0.2 --max-pods=50"');
  });

  it('a hand edit is drift: named, with the diff back to what kubeup wrote', () => {
    const want = [text('/etc/default/kubelet', OPTS_OLD, ['kubelet.service'])];
    const d = diffHost({ id: 'h2', nodeName: 'h2', units: UNITS, desired: want, observed: observed({ '/etc/default/kubelet': { content: OPTS_NEW, mode: 0o666 } }), deployed: deployed(want) });
    expect(d.files[0]).toMatchObject({ drift: true, what: ['content', 'mode 0666 -> 0644'] });
    expect(d.files[0]!.diff).toMatch(/^-KUBELET_OPTS=.*--max-pods=50"$/m);
  });

  it('a binary replaced: old and new sha256, its unit restarts; a stopped unit is only started', () => {
    const want = [binary('/opt/bin/kubelet', 'new build', ['kubelet.service'])];
    const d = diffHost({ id: 'h2', nodeName: 'h2', units: UNITS, desired: want, observed: observed({ '/opt/bin/kubelet': { sha: sha('old build'), mode: 0o755 } }, { 'containerd.service': 'failed' }) });
    expect(d.files[0]).toMatchObject({ kind: 'binary', before: sha('old build'), after: sha('new build') });
    expect(d.files[0]!.diff).toBeUndefined();
    expect(d.unitsRestart).toEqual(['kubelet.service']);
    expect(d.unitsStart).toEqual(['containerd.service']);
    expect(formatDiff({ profile: 'p', hosts: [d] })).toContain(`sha256 ${sha('old build')} -> ${sha('new build')}`);
  });

  it('never shows a key, even when its content is on hand', () => {
    const want = [key('/etc/kubernetes/pki/kubelet.key', 'NEW PRIVATE KEY', ['kubelet.service'])];
    const d = diffHost({ id: 'h2', nodeName: 'h2', units: UNITS, desired: want, observed: observed({ '/etc/kubernetes/pki/kubelet.key': { content: 'OLD PRIVATE KEY', mode: 0o600 } }) });
    const out = formatDiff({ profile: 'p', hosts: [d] });
    expect(out).not.toMatch(/PRIVATE KEY/);
    expect(out).toContain('secret: content not shown');
  });

  it('redacts secret-looking values inside a shown diff', () => {
    expect(redactLine('+  token: abc123')).toBe('+  token: [redacted]');
    expect(redactLine('-    client-key-data: AAAA')).toBe('-    client-key-data: [redacted]');
    expect(redactLine(' --tls-private-key-file=/etc/kubernetes/pki/x.key')).toContain('[redacted]');
    expect(redactLine('+KUBELET_OPTS="--v=2"')).toBe('+KUBELET_OPTS="--v=2"');
  });

  it('a new host: every file added and every unit started; a host gone from the profile is to remove', () => {
    const want = [text('/etc/default/kubelet', OPTS_OLD, ['kubelet.service']), binary('/opt/bin/kubelet', 'b', ['kubelet.service'])];
    const gone = { ...deployed(want), id: 'h9', nodeName: 'h9' };
    const diff = diffCluster('p', [{ id: 'h2', nodeName: 'h2', units: UNITS, desired: want, observed: observed({ '/etc/default/kubelet': 'absent', '/opt/bin/kubelet': 'absent' }, { 'kubelet.service': 'inactive', 'containerd.service': 'inactive' }) }], { version: 1, profile: 'p', hosts: [gone] });
    expect(diff.hosts.map((h) => [h.id, h.action])).toEqual([['h2', 'add'], ['h9', 'remove']]);
    expect(diff.hosts[0]!.unitsStart).toEqual(UNITS);
    expect(diff.hosts[0]!.unitsRestart).toEqual([]);
    expect(hasChanges(diff)).toBe(true);
    expect(driftedFiles(diff)).toEqual([]);
  });
});

describe('formatDiff', () => {
  const build = (order: string[]) => {
    const want = order.map((p) => text(p, `${p} new\n`, ['kubelet.service']));
    const seen = Object.fromEntries(order.map((p) => [p, { content: `${p} old\n` }]));
    return diffCluster('lab', [{ id: 'h2', nodeName: 'h2', units: UNITS, desired: want, observed: observed(seen), deployed: deployed(want.map((w) => ({ ...w, sha256: sha(`${w.path} old\n`), text: `${w.path} old\n` }))) }], undefined);
  };

  it('is byte-identical for the same state, whatever order the files were found in', () => {
    const a = formatDiff(build(['/etc/a', '/etc/b', '/etc/c']));
    const b = formatDiff(build(['/etc/c', '/etc/a', '/etc/b']));
    expect(b).toBe(a);
    expect(formatDiff(build(['/etc/a', '/etc/b', '/etc/c']))).toBe(a);
    expect(a).toMatchInlineSnapshot(`
      "Changes for profile lab: 0 to add, 1 to change, 0 to remove, 0 unchanged
        ~ h2 (node h2): 3 files to write; restart kubelet.service
          ~ /etc/a  (content)
              --- h2:/etc/a (on the host)
              +++ h2:/etc/a (kubeup)
              @@ -1,1 +1,1 @@
              -/etc/a old
              +/etc/a new
          ~ /etc/b  (content)
              --- h2:/etc/b (on the host)
              +++ h2:/etc/b (kubeup)
              @@ -1,1 +1,1 @@
              -/etc/b old
              +/etc/b new
          ~ /etc/c  (content)
              --- h2:/etc/c (on the host)
              +++ h2:/etc/c (kubeup)
              @@ -1,1 +1,1 @@
              -/etc/c old
              +/etc/c new
      "
    `);
  });

  it('says so when nothing would change', () => {
    expect(formatDiff({ profile: 'lab', hosts: [{ id: 'h1', nodeName: 'h1', action: 'unchanged', files: [], unitsRestart: [], unitsStart: [] }] })).toBe(
      'Changes for profile lab: 0 to add, 0 to change, 0 to remove, 1 unchanged\n  = h1 (node h1): no changes\nNo changes: up would write nothing and restart nothing.\n',
    );
  });
});

describe('unifiedDiff', () => {
  it('hunks with three lines of context, as diff -u numbers them', () => {
    const a = Array.from({ length: 12 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    const b = a.replace('line 6\n', 'line six\n').replace('line 12\n', '');
    expect(unifiedDiff(a, b, { from: 'a', to: 'b' })).toBe(
      ['--- a', '+++ b', '@@ -3,10 +3,9 @@', ' line 3', ' line 4', ' line 5', '-line 6', '+line six', ' line 7', ' line 8', ' line 9', ' line 10', ' line 11', '-line 12', ''].join('\n'),
    );
    expect(unifiedDiff(a, a, { from: 'a', to: 'b' })).toBe('');
  });
});
