// Kubeconfig text: render, merge into an existing file, remove a context. A real kubectl reads the results.
import { lstat, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCa } from '../../../src/pki/ca.js';
import { KubeconfigError } from '../../../src/pki/errors.js';
import { clusterIdentities } from '../../../src/pki/identities.js';
import { issueCertificate } from '../../../src/pki/issue.js';
import { adminKubeconfigInput, mergeKubeconfig, removeKubeconfigContext, renderKubeconfig, type KubeconfigInput } from '../../../src/pki/kubeconfig.js';
import { kubeconfigPath, removeContextFromKubeconfig, writeMergedKubeconfig } from '../../../src/pki/kubeconfig-file.js';
import { kubectlBinary, run, tempDir, threeHostInput } from './helpers.js';

let admin: KubeconfigInput;
let kubectl: string;

beforeAll(async () => {
  const ca = await createCa('lab');
  const id = clusterIdentities(threeHostInput()).find((i) => i.name === 'admin')!;
  const cert = await issueCertificate(ca, id);
  admin = {
    clusterName: 'lab',
    server: 'https://10.0.0.10:6443',
    caPem: ca.certPem,
    user: 'kubeup-admin@lab',
    certPem: cert.certPem,
    keyPem: cert.keyPem,
  };
  kubectl = await kubectlBinary();
}, 60_000);

/** Someone's existing kubeconfig with another cluster, written the way kubectl writes it. */
const OTHER = `apiVersion: v1
clusters:
- cluster:
    server: https://prod.example:6443
    insecure-skip-tls-verify: true
  name: prod
contexts:
- context:
    cluster: prod
    namespace: web
    user: alice
  name: prod
current-context: prod
kind: Config
preferences: {}
users:
- name: alice
  user:
    token: abc123
`;

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('renderKubeconfig', () => {
  it('embeds the CA, client certificate and key, and names cluster, user and context', () => {
    const doc = parse(renderKubeconfig(admin));
    expect(doc).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'lab', cluster: { 'certificate-authority-data': b64(admin.caPem), server: 'https://10.0.0.10:6443' } }],
      contexts: [{ name: 'lab', context: { cluster: 'lab', user: 'kubeup-admin@lab' } }],
      'current-context': 'lab',
      preferences: {},
      users: [{ name: 'kubeup-admin@lab', user: { 'client-certificate-data': b64(admin.certPem), 'client-key-data': b64(admin.keyPem) } }],
    });
  });

  it('names the admin user after the cluster, so two clusters never share a user entry', () => {
    const pki = { ca: { certPem: admin.caPem }, certs: new Map([['admin', { certPem: admin.certPem, keyPem: admin.keyPem }]]) };
    expect(adminKubeconfigInput('lab', admin.server, pki)).toEqual(admin);
    const both = parse(
      mergeKubeconfig(renderKubeconfig(adminKubeconfigInput('lab', admin.server, pki)), renderKubeconfig(adminKubeconfigInput('edge', 'https://10.1.0.1:6443', pki)), 'edge'),
    );
    expect(both.users.map((u: { name: string }) => u.name)).toEqual(['kubeup-admin@edge', 'kubeup-admin@lab']);
    expect(() => adminKubeconfigInput('lab', admin.server, { ...pki, certs: new Map() })).toThrow(KubeconfigError);
  });

  it('uses the context name given', () => {
    const doc = parse(renderKubeconfig({ ...admin, contextName: 'lab-admin' }));
    expect(doc['current-context']).toBe('lab-admin');
    expect(doc.contexts[0].name).toBe('lab-admin');
  });

  it('is the same text every time', () => {
    expect(renderKubeconfig(admin)).toBe(renderKubeconfig({ ...admin }));
  });
});

describe('mergeKubeconfig', () => {
  it('adds the cluster, user and context, keeps every other entry, and switches the current context', () => {
    const merged = parse(mergeKubeconfig(OTHER, renderKubeconfig(admin), 'lab'));
    expect(merged.clusters.map((c: { name: string }) => c.name)).toEqual(['lab', 'prod']);
    expect(merged.users.map((c: { name: string }) => c.name)).toEqual(['alice', 'kubeup-admin@lab']);
    expect(merged.contexts.map((c: { name: string }) => c.name)).toEqual(['lab', 'prod']);
    expect(merged['current-context']).toBe('lab');
    const prod = parse(OTHER);
    expect(merged.clusters[1]).toEqual(prod.clusters[0]);
    expect(merged.users[0]).toEqual(prod.users[0]);
    expect(merged.contexts[1]).toEqual(prod.contexts[0]);
  });

  it('replaces the entries of the same name on a re-run instead of adding more', () => {
    const once = mergeKubeconfig(OTHER, renderKubeconfig(admin), 'lab');
    const moved = renderKubeconfig({ ...admin, server: 'https://10.0.0.30:6443' });
    const twice = parse(mergeKubeconfig(once, moved, 'lab'));
    expect(twice.clusters).toHaveLength(2);
    expect(twice.clusters.find((c: { name: string }) => c.name === 'lab').cluster.server).toBe('https://10.0.0.30:6443');
    expect(mergeKubeconfig(once, renderKubeconfig(admin), 'lab')).toBe(once);
  });

  it('starts from nothing when there is no file or an empty one', () => {
    expect(parse(mergeKubeconfig(undefined, renderKubeconfig(admin), 'lab'))).toEqual(parse(renderKubeconfig(admin)));
    expect(parse(mergeKubeconfig('', renderKubeconfig(admin), 'lab'))).toEqual(parse(renderKubeconfig(admin)));
  });

  it('refuses a file that is not a kubeconfig, naming it, rather than overwriting it', () => {
    expect(() => mergeKubeconfig('a: [b', renderKubeconfig(admin), 'lab', '/home/u/.kube/config')).toThrow(KubeconfigError);
    try {
      mergeKubeconfig('kind: Pod\n', renderKubeconfig(admin), 'lab', '/home/u/.kube/config');
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ file: '/home/u/.kube/config', field: 'kind' });
    }
    expect(() => mergeKubeconfig('clusters: 3\n', renderKubeconfig(admin), 'lab', 'f')).toThrow(/"clusters" in the kubeconfig file is not a list/);
  });
});

describe('removeKubeconfigContext', () => {
  it('removes the context with its cluster and user, and keeps the others', () => {
    const merged = mergeKubeconfig(OTHER, renderKubeconfig(admin), 'lab');
    const { yaml, removed } = removeKubeconfigContext(merged, 'lab');
    expect(removed).toBe(true);
    const doc = parse(yaml);
    expect(doc.contexts.map((c: { name: string }) => c.name)).toEqual(['prod']);
    expect(doc.clusters.map((c: { name: string }) => c.name)).toEqual(['prod']);
    expect(doc.users.map((c: { name: string }) => c.name)).toEqual(['alice']);
    expect(doc['current-context']).toBe('');
  });

  it('keeps a cluster or user that another context still uses', () => {
    const doc = parse(mergeKubeconfig(OTHER, renderKubeconfig(admin), 'lab'));
    doc.contexts.push({ name: 'lab-ops', context: { cluster: 'lab', user: 'alice' } });
    const { yaml } = removeKubeconfigContext(JSON.stringify(doc), 'lab');
    const after = parse(yaml);
    expect(after.clusters.map((c: { name: string }) => c.name)).toEqual(['lab', 'prod']);
    expect(after.users.map((c: { name: string }) => c.name)).toEqual(['alice']);
    expect(after.contexts.map((c: { name: string }) => c.name)).toEqual(['lab-ops', 'prod']);
    expect(after['current-context']).toBe('');
  });

  it('says so when there is no such context', () => {
    expect(removeKubeconfigContext(OTHER, 'lab')).toEqual({ yaml: OTHER, removed: false });
  });
});

describe('the operator\'s kubeconfig file', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir('kubeconfig')));
  afterEach(() => cleanup());

  const jsonpath = async (file: string, path: string) =>
    (await run(kubectl, ['config', 'view', '--minify', '--raw', '-o', `jsonpath=${path}`], { env: { KUBECONFIG: file, HOME: dir, PATH: '' } })).stdout;

  it('lives at $KUBECONFIG\'s first path, else ~/.kube/config', () => {
    expect(kubeconfigPath({ KUBECONFIG: '/a/one:/b/two' }, '/home/u')).toBe('/a/one');
    expect(kubeconfigPath({ KUBECONFIG: ':/b/two' }, '/home/u')).toBe('/b/two');
    expect(kubeconfigPath({ KUBECONFIG: '' }, '/home/u')).toBe('/home/u/.kube/config');
    expect(kubeconfigPath({}, '/home/u')).toBe('/home/u/.kube/config');
  });

  it('is created 0600 in a new 0700 folder, and kubectl reads the embedded credentials back', async () => {
    const file = join(dir, 'home', '.kube', 'config');
    const result = await writeMergedKubeconfig(renderKubeconfig(admin), 'lab', { path: file });
    expect(result).toEqual({ path: file, changed: true });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'home', '.kube'))).mode & 0o777).toBe(0o700);
    expect(await jsonpath(file, '{.clusters[0].cluster.server}')).toBe('https://10.0.0.10:6443');
    expect(await jsonpath(file, '{.users[0].name}')).toBe('kubeup-admin@lab');
    expect(Buffer.from(await jsonpath(file, '{.clusters[0].cluster.certificate-authority-data}'), 'base64').toString()).toBe(admin.caPem);
    expect(Buffer.from(await jsonpath(file, '{.users[0].user.client-certificate-data}'), 'base64').toString()).toBe(admin.certPem);
    expect(Buffer.from(await jsonpath(file, '{.users[0].user.client-key-data}'), 'base64').toString()).toBe(admin.keyPem);
  });

  it('is merged with a backup of the old file, and kubectl still sees the other context', async () => {
    const file = join(dir, 'config');
    await writeFile(file, OTHER, { mode: 0o644 });
    const now = new Date('2026-11-25T23:45:01.123Z');
    const result = await writeMergedKubeconfig(renderKubeconfig(admin), 'lab', { path: file, now });
    expect(result).toEqual({ path: file, backupPath: `${file}.kubeup-backup-20261125T234501Z`, changed: true });
    expect(await readFile(result.backupPath!, 'utf8')).toBe(OTHER);
    expect((await stat(result.backupPath!)).mode & 0o777).toBe(0o600);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const contexts = (await run(kubectl, ['config', 'get-contexts', '-o', 'name'], { env: { KUBECONFIG: file, HOME: dir, PATH: '' } })).stdout;
    expect(contexts.split('\n').filter(Boolean).sort()).toEqual(['lab', 'prod']);
    expect((await run(kubectl, ['config', 'current-context'], { env: { KUBECONFIG: file, HOME: dir, PATH: '' } })).stdout).toBe('lab\n');

    // The same merge again changes nothing and writes no second backup.
    expect(await writeMergedKubeconfig(renderKubeconfig(admin), 'lab', { path: file, now })).toEqual({ path: file, changed: false });
    // A real change in the same second gets its own backup name.
    const moved = renderKubeconfig({ ...admin, server: 'https://10.0.0.30:6443' });
    const again = await writeMergedKubeconfig(moved, 'lab', { path: file, now });
    expect(again.backupPath).toBe(`${file}.kubeup-backup-20261125T234501Z-1`);
    expect((await readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('keeps a symlinked kubeconfig a symlink', async () => {
    const real = join(dir, 'real-config');
    await writeFile(real, OTHER);
    const link = join(dir, 'config');
    await symlink(real, link);
    const result = await writeMergedKubeconfig(renderKubeconfig(admin), 'lab', { path: link });
    expect(result.path).toBe(real);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(parse(await readFile(link, 'utf8'))['current-context']).toBe('lab');
  });

  it('is not touched when it cannot be parsed', async () => {
    const file = join(dir, 'config');
    await writeFile(file, 'clusters: [oops\n');
    await expect(writeMergedKubeconfig(renderKubeconfig(admin), 'lab', { path: file })).rejects.toMatchObject({ constructor: KubeconfigError, file });
    expect(await readFile(file, 'utf8')).toBe('clusters: [oops\n');
    expect(await readdir(dir)).toEqual(['config']);
  });

  it('loses the context on removal, with a backup, and kubectl sees only the others', async () => {
    const file = join(dir, 'config');
    await writeFile(file, OTHER);
    await writeMergedKubeconfig(renderKubeconfig(admin), 'lab', { path: file, now: new Date('2026-01-01T00:00:00Z') });
    const removed = await removeContextFromKubeconfig('lab', { path: file, now: new Date('2026-01-02T00:00:00Z') });
    expect(removed).toEqual({ path: file, backupPath: `${file}.kubeup-backup-20260102T000000Z`, changed: true });
    const contexts = (await run(kubectl, ['config', 'get-contexts', '-o', 'name'], { env: { KUBECONFIG: file, HOME: dir, PATH: '' } })).stdout;
    expect(contexts).toBe('prod\n');
    expect(await removeContextFromKubeconfig('lab', { path: file })).toEqual({ path: file, changed: false });
    expect(await removeContextFromKubeconfig('lab', { path: join(dir, 'missing', 'config') })).toEqual({
      path: join(dir, 'missing', 'config'),
      changed: false,
    });
  });
});
