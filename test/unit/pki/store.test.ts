// ensureClusterPki on a real folder: reuse, targeted re-issue, file modes, and the CA's safety rules.
import { X509Certificate } from 'node:crypto';
import { readdir, readFile, rm, stat, writeFile, chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PkiError } from '../../../src/pki/errors.js';
import { clusterIdentities, type ClusterIdentityInput } from '../../../src/pki/identities.js';
import { ensureClusterPki } from '../../../src/pki/store.js';
import { loadCa } from '../../../src/pki/ca.js';
import { issueCertificate } from '../../../src/pki/issue.js';
import { openssl, tempDir, threeHostInput } from './helpers.js';

let root: string;
let cleanup: () => Promise<void>;
let dir: string;

beforeEach(async () => {
  ({ dir: root, cleanup } = await tempDir('store'));
  dir = join(root, 'clusters', 'lab', 'pki');
});
afterEach(() => cleanup());

const ensure = (input: ClusterIdentityInput = threeHostInput(), now?: Date) =>
  ensureClusterPki(dir, clusterIdentities(input), { clusterName: input.clusterName, ...(now ? { now } : {}) });

async function fileSnapshot(): Promise<Map<string, string>> {
  const names = (await readdir(dir)).sort();
  return new Map(await Promise.all(names.map(async (n) => [n, await readFile(join(dir, n), 'utf8')] as const)));
}

describe('ensureClusterPki', () => {
  it('creates the CA, every certificate and the service-account key on the first run', async () => {
    const pki = await ensure();
    const names = clusterIdentities(threeHostInput()).map((i) => i.name);
    expect(pki.caCreated).toBe(true);
    expect([...pki.certs.keys()]).toEqual(names);
    expect(pki.changed).toEqual([...names, 'encryption-config', 'service-account'].sort());
    expect(pki.reasons.get('kubelet-w1')).toBe('new');
    expect(pki.warnings).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual(
      [
        ...['ca', 'etcd-ca', 'front-proxy-ca'].flatMap((n) => [`${n}.crt`, `${n}.key`]),
        'encryption-config.yaml',
        'service-account.key',
        'service-account.pub',
        ...names.flatMap((n) => [`${n}.crt`, `${n}.key`]),
      ].sort(),
    );
    const r = await openssl(['verify', '-CAfile', 'ca.crt', '-purpose', 'sslserver', 'kube-apiserver.crt'], dir);
    expect(r).toEqual({ code: 0, out: 'kube-apiserver.crt: OK\n' });
    expect(pki.casCreated).toEqual(['ca', 'etcd-ca', 'front-proxy-ca']);
    // etcd's certificates chain to etcd's CA only: the cluster CA does not vouch for them, nor etcd's for the rest.
    expect(await openssl(['verify', '-CAfile', 'etcd-ca.crt', 'etcd-server.crt', 'etcd-peer.crt', 'apiserver-etcd-client.crt', 'etcd-healthcheck-client.crt'], dir)).toMatchObject({ code: 0 });
    expect((await openssl(['verify', '-CAfile', 'ca.crt', 'apiserver-etcd-client.crt'], dir)).code).not.toBe(0);
    expect((await openssl(['verify', '-CAfile', 'etcd-ca.crt', 'kubelet-w1.crt'], dir)).code).not.toBe(0);
    expect(await openssl(['verify', '-CAfile', 'front-proxy-ca.crt', 'front-proxy-client.crt'], dir)).toMatchObject({ code: 0 });
    expect(pki.serviceAccount.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(pki.serviceAccount.pubPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    // The public half really is the signing key's.
    const fromKey = await openssl(['pkey', '-in', 'service-account.key', '-pubout'], dir);
    expect(fromKey.out).toBe(pki.serviceAccount.pubPem);
  });

  it('makes the folder 0700 and every file 0600, leaving no temporary files', async () => {
    await ensure();
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    for (const name of await readdir(dir)) {
      expect(name.startsWith('.'), name).toBe(false);
      expect((await stat(join(dir, name))).mode & 0o777, name).toBe(0o600);
    }
  });

  it('tightens a folder that exists with a looser mode', async () => {
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o755);
    await ensure();
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('reuses everything on a second run', async () => {
    await ensure();
    const before = await fileSnapshot();
    const pki = await ensure();
    expect(pki.changed).toEqual([]);
    expect(pki.caCreated).toBe(false);
    expect(await fileSnapshot()).toEqual(before);
    expect(pki.certs.get('admin')!.certPem).toBe(before.get('admin.crt'));
  });

  it('re-issues only the kubelet certificate of a node whose address changed', async () => {
    await ensure();
    const before = await fileSnapshot();
    const input = threeHostInput();
    input.nodes = input.nodes.map((n) => (n.nodeName === 'w2' ? { ...n, address: '10.0.0.22' } : n));
    const pki = await ensure(input);
    expect(pki.changed).toEqual(['kubelet-w2']);
    expect(pki.reasons.get('kubelet-w2')).toBe('identity changed: ip SANs +10.0.0.22 -10.0.0.12');
    const after = await fileSnapshot();
    for (const [name, text] of before) {
      if (name.startsWith('kubelet-w2.')) expect(after.get(name), name).not.toBe(text);
      else expect(after.get(name), name).toBe(text);
    }
    expect(new X509Certificate(after.get('kubelet-w2.crt')!).checkIP('10.0.0.22')).toBe('10.0.0.22');
  });

  it('re-issues the API server, etcd and that kubelet certificate when the master moves', async () => {
    await ensure();
    const input = threeHostInput();
    input.masterAddress = '10.0.0.30';
    input.nodes = input.nodes.map((n) => (n.nodeName === 'cp1' ? { ...n, address: '10.0.0.30' } : n));
    const pki = await ensure(input);
    expect(pki.changed).toEqual(['etcd-peer', 'etcd-server', 'kube-apiserver', 'kubelet-cp1']);
    expect(new X509Certificate(pki.certs.get('kube-apiserver')!.certPem).checkIP('10.0.0.30')).toBe('10.0.0.30');
  });

  it('issues a certificate for a new node and leaves the others alone', async () => {
    await ensure();
    const input = threeHostInput();
    input.nodes = [...input.nodes, { nodeName: 'w3', address: '10.0.0.13' }];
    const pki = await ensure(input);
    expect(pki.changed).toEqual(['kubelet-w3']);
    expect(pki.stale).toEqual([]);
  });

  it('reports, and keeps, the certificate of a node that left', async () => {
    await ensure();
    const input = threeHostInput();
    input.nodes = input.nodes.filter((n) => n.nodeName !== 'w2');
    const pki = await ensure(input);
    expect(pki.changed).toEqual([]);
    expect(pki.stale).toEqual(['kubelet-w2']);
    expect(pki.certs.has('kubelet-w2')).toBe(false);
    expect(await readdir(dir)).toContain('kubelet-w2.crt');
  });

  it('renews certificates that expire within 30 days', async () => {
    await ensure();
    const later = new Date(Date.now() + 340 * 24 * 3600 * 1000);
    const pki = await ensure(threeHostInput(), later);
    expect(pki.changed).toEqual(clusterIdentities(threeHostInput()).map((i) => i.name));
    expect(pki.reasons.get('admin')).toMatch(/^expires /);
    expect(pki.caCreated).toBe(false);
  });

  it('re-issues a certificate whose key was lost, or which another CA signed', async () => {
    await ensure();
    await rm(join(dir, 'kube-proxy.key'));
    const foreign = await ensureClusterPki(join(root, 'other'), clusterIdentities(threeHostInput()), { clusterName: 'other' });
    await writeFile(join(dir, 'flannel.crt'), foreign.certs.get('flannel')!.certPem);
    await writeFile(join(dir, 'flannel.key'), foreign.certs.get('flannel')!.keyPem);
    const pki = await ensure();
    expect(pki.changed).toEqual(['flannel', 'kube-proxy']);
    expect(pki.reasons.get('flannel')).toBe('not signed by the current CA');
    const r = await openssl(['verify', '-CAfile', 'ca.crt', 'flannel.crt', 'kube-proxy.crt'], dir);
    expect(r.code).toBe(0);
  });

  it('a truncated certificate or a lost key is said with its path, and replaced', async () => {
    await ensure();
    const text = await readFile(join(dir, 'kube-apiserver.crt'), 'utf8');
    await writeFile(join(dir, 'kube-apiserver.crt'), text.slice(0, 100));
    await rm(join(dir, 'kube-proxy.key'));
    const pki = await ensure();
    expect(pki.changed).toEqual(['kube-apiserver', 'kube-proxy']);
    expect(pki.warnings).toEqual([
      `${join(dir, 'kube-apiserver.crt')}: certificate unreadable; issued a new certificate and key for kube-apiserver`,
      `${join(dir, 'kube-proxy.key')}: key missing, unreadable or not the certificate's key; issued a new certificate and key for kube-proxy`,
    ]);
  });

  it('a PKI file that cannot be read at all (here a folder in its place) stops the run with the path', async () => {
    await ensure();
    await rm(join(dir, 'ca.crt'));
    await mkdir(join(dir, 'ca.crt'));
    await expect(ensure()).rejects.toMatchObject({ constructor: PkiError, file: join(dir, 'ca.crt'), message: 'cannot read a file of the cluster PKI' });
  });

  it('rewrites a missing service-account public key from the private key, keeping the key', async () => {
    const first = await ensure();
    await rm(join(dir, 'service-account.pub'));
    const pki = await ensure();
    expect(pki.changed).toEqual(['service-account']);
    expect(pki.serviceAccount).toEqual(first.serviceAccount);
  });

  describe('never replaces the CA silently', () => {
    it('fails when the CA key is missing, naming the file and what to do', async () => {
      await ensure();
      await rm(join(dir, 'ca.key'));
      const err = await ensure().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PkiError);
      expect(err).toMatchObject({ file: join(dir, 'ca.key'), message: expect.stringMatching(/CA key is missing/) });
      expect((err as PkiError).hint).toMatch(/restore ca\.crt and ca\.key/);
      expect((err as PkiError).describe()).not.toMatch(/BEGIN/);
    });

    it('fails when the CA key is corrupt, and writes nothing', async () => {
      await ensure();
      await writeFile(join(dir, 'ca.key'), '-----BEGIN PRIVATE KEY-----\nbm9wZQ==\n-----END PRIVATE KEY-----\n');
      const before = await fileSnapshot();
      await expect(ensure()).rejects.toMatchObject({ constructor: PkiError, file: join(dir, 'ca.key') });
      expect(await fileSnapshot()).toEqual(before);
    });

    it('fails when both CA files are gone but issued certificates remain', async () => {
      await ensure();
      await rm(join(dir, 'ca.key'));
      await rm(join(dir, 'ca.crt'));
      await expect(ensure()).rejects.toThrow(/cluster CA certificate is missing but 16 certificates issued by it are still here/);
      expect((await readdir(dir)).includes('ca.crt')).toBe(false);
    });

    it('fails when etcd\'s CA is gone but certificates it issued remain', async () => {
      await ensure();
      await rm(join(dir, 'etcd-ca.key'));
      await rm(join(dir, 'etcd-ca.crt'));
      await expect(ensure()).rejects.toThrow(
        /etcd CA certificate is missing but 4 certificates issued by it are still here \(apiserver-etcd-client.crt, etcd-healthcheck-client.crt, etcd-peer.crt, etcd-server.crt\)/,
      );
    });

    it('gives a cluster from before etcd had its own CA the new CAs, and moves etcd\'s certificates to it', async () => {
      await ensure();
      for (const f of ['etcd-ca', 'front-proxy-ca']) for (const ext of ['crt', 'key']) await rm(join(dir, `${f}.${ext}`));
      for (const f of ['etcd-peer', 'etcd-healthcheck-client', 'front-proxy-client']) for (const ext of ['crt', 'key']) await rm(join(dir, `${f}.${ext}`));
      // The old etcd pairs, as the cluster CA issued them.
      const ca = await loadCa(await readFile(join(dir, 'ca.crt'), 'utf8'), await readFile(join(dir, 'ca.key'), 'utf8'), { cert: 'ca.crt', key: 'ca.key' });
      for (const id of clusterIdentities(threeHostInput()).filter((i) => i.name === 'etcd-server' || i.name === 'apiserver-etcd-client')) {
        const old = await issueCertificate(ca, id);
        await writeFile(join(dir, `${id.name}.crt`), old.certPem);
        await writeFile(join(dir, `${id.name}.key`), old.keyPem);
      }
      const pki = await ensure();
      expect(pki.casCreated).toEqual(['etcd-ca', 'front-proxy-ca']);
      expect(pki.caCreated).toBe(false);
      expect(pki.reasons.get('etcd-server')).toBe('not signed by the current CA');
      expect(pki.reasons.get('apiserver-etcd-client')).toBe('not signed by the current CA');
      expect(pki.changed).toEqual(['apiserver-etcd-client', 'etcd-healthcheck-client', 'etcd-peer', 'etcd-server', 'front-proxy-client']);
    });

    it('starts over when a first run stopped after writing only the CA key', async () => {
      await ensure();
      const names = await readdir(dir);
      for (const n of names) if (n !== 'ca.key') await rm(join(dir, n));
      const pki = await ensure();
      expect(pki.caCreated).toBe(true);
    });

    it('fails on an expired CA', async () => {
      await ensure();
      await expect(ensure(threeHostInput(), new Date(Date.now() + 11 * 365 * 24 * 3600 * 1000))).rejects.toThrow(/the cluster CA expired/);
    });

    it('warns when the CA expires within 60 days', async () => {
      await ensure();
      const pki = await ensure(threeHostInput(), new Date(Date.now() + (10 * 365 - 10) * 24 * 3600 * 1000));
      expect(pki.warnings).toHaveLength(3);
      expect(pki.warnings[0]).toMatch(/the cluster CA \(.*ca\.crt\) expires on .* plan a new one/);
      expect(pki.warnings[1]).toMatch(/the etcd CA \(.*etcd-ca\.crt\) expires on/);
    });
  });
});

describe('ensureClusterPki renew (kubeup certs renew)', () => {
  it('issues the named leaves again, keeps every other file byte for byte, never a CA', async () => {
    await ensure();
    const before = await fileSnapshot();
    const input = threeHostInput();
    const pki = await ensureClusterPki(dir, clusterIdentities(input), { clusterName: input.clusterName, renew: new Set(['kube-apiserver', 'kubelet-w1']) });
    expect(pki.changed).toEqual(['kube-apiserver', 'kubelet-w1']);
    expect(pki.reasons.get('kube-apiserver')).toBe('renewed on request (kubeup certs renew)');
    const after = await fileSnapshot();
    const differ = [...after.keys()].filter((k) => after.get(k) !== before.get(k)).sort();
    expect(differ).toEqual(['kube-apiserver.crt', 'kube-apiserver.key', 'kubelet-w1.crt', 'kubelet-w1.key']);
    const [was, now] = [before, after].map((m) => new X509Certificate(m.get('kube-apiserver.crt')!));
    expect(now!.serialNumber).not.toBe(was!.serialNumber);
    expect(now!.subject).toBe(was!.subject);
    expect(now!.subjectAltName).toBe(was!.subjectAltName);
    expect((await stat(join(dir, 'kube-apiserver.key'))).mode & 0o777).toBe(0o600);
    expect(await openssl(['verify', '-CAfile', 'ca.crt', 'kube-apiserver.crt', 'kubelet-w1.crt'], dir)).toMatchObject({ code: 0 });
  });
});
