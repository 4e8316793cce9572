// The CA and leaf certificates, checked by real openssl and by Node's X509Certificate.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caCommonName, createCa, loadCa, type CertificateAuthority } from '../../../src/pki/ca.js';
import { PkiError } from '../../../src/pki/errors.js';
import { clusterIdentities, type Identity } from '../../../src/pki/identities.js';
import { identityDifferences, identityOfCertificate, reissueReason } from '../../../src/pki/inspect.js';
import { issueCertificate, type IssuedCert } from '../../../src/pki/issue.js';
import { openssl, tempDir, threeHostInput, writeAll } from './helpers.js';

const DAY = 24 * 60 * 60 * 1000;
const now = new Date();

let dir: string;
let cleanup: () => Promise<void>;
let ca: CertificateAuthority;
let identities: Identity[];
const issued = new Map<string, IssuedCert>();

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('certs'));
  ca = await createCa('lab', now);
  identities = clusterIdentities(threeHostInput());
  for (const id of identities) issued.set(id.name, await issueCertificate(ca, id, now));
  const files: Record<string, string> = { 'ca.crt': ca.certPem, 'ca.key': ca.keyPem };
  for (const [name, c] of issued) {
    files[`${name}.crt`] = c.certPem;
    files[`${name}.key`] = c.keyPem;
  }
  await writeAll(dir, files);
});
afterAll(() => cleanup());

const cert = (name: string) => new X509Certificate(issued.get(name)!.certPem);

describe('the cluster CA', () => {
  it('is a self-signed P-256 CA named after the cluster, valid for 10 years', async () => {
    const x = new X509Certificate(ca.certPem);
    expect(x.ca).toBe(true);
    expect(x.subject).toBe(`CN=${caCommonName('lab')}`);
    expect(x.issuer).toBe(x.subject);
    expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const years = (new Date(x.validTo).getTime() - now.getTime()) / (365.25 * DAY);
    expect(years).toBeGreaterThan(9.9);
    expect(years).toBeLessThan(10.1);
    const text = (await openssl(['x509', '-in', 'ca.crt', '-noout', '-text'], dir)).out;
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/);
    expect(text).toMatch(/Subject Key Identifier/);
  });

  it('has its key in PKCS#8 PEM, matching the certificate', () => {
    expect(ca.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(new X509Certificate(ca.certPem).checkPrivateKey(createPrivateKey(ca.keyPem))).toBe(true);
  });

  it('loads back from its PEM files', async () => {
    const again = await loadCa(ca.certPem, ca.keyPem, { cert: 'ca.crt', key: 'ca.key' });
    expect(again.cert.subject).toBe(ca.cert.subject);
  });

  it('refuses a key that is not the CA certificate\'s, naming the key file', async () => {
    const other = await createCa('other');
    await expect(loadCa(ca.certPem, other.keyPem, { cert: '/s/ca.crt', key: '/s/ca.key' })).rejects.toMatchObject({
      constructor: PkiError,
      file: '/s/ca.key',
      message: expect.stringMatching(/does not belong to the CA certificate/),
    });
  });

  it('refuses a corrupt key and a leaf certificate posing as the CA', async () => {
    await expect(loadCa(ca.certPem, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', { cert: 'c', key: 'k' })).rejects.toThrow(
      /CA key cannot be read/,
    );
    const leaf = issued.get('admin')!;
    await expect(loadCa(leaf.certPem, leaf.keyPem, { cert: 'c', key: 'k' })).rejects.toThrow(/not a CA certificate/);
  });
});

describe('leaf certificates', () => {
  it('are accepted by openssl verify for their purposes', async () => {
    for (const id of identities) {
      for (const usage of id.usages) {
        const purpose = usage === 'server' ? 'sslserver' : 'sslclient';
        const r = await openssl(['verify', '-CAfile', 'ca.crt', '-purpose', purpose, `${id.name}.crt`], dir);
        expect({ name: id.name, purpose, ...r }).toEqual({ name: id.name, purpose, code: 0, out: `${id.name}.crt: OK\n` });
      }
    }
  });

  it('are refused by openssl for a purpose they were not issued for', async () => {
    const r = await openssl(['verify', '-CAfile', 'ca.crt', '-purpose', 'sslserver', 'admin.crt'], dir);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/(unsuitable|unsupported) certificate purpose/);
  });

  it('are refused by openssl against another CA', async () => {
    const other = await createCa('other');
    await writeAll(dir, { 'other-ca.crt': other.certPem });
    const r = await openssl(['verify', '-CAfile', 'other-ca.crt', 'kube-apiserver.crt'], dir);
    expect(r.code).not.toBe(0);
  });

  it('carry the identity\'s subject, with O before CN', async () => {
    const r = await openssl(['x509', '-in', 'kubelet-w1.crt', '-noout', '-subject', '-issuer'], dir);
    expect(r.out).toBe('subject=O = system:nodes, CN = system:node:w1\nissuer=CN = kubeup-lab-ca\n');
    expect(cert('admin').subject).toBe('O=kubeadm:cluster-admins\nCN=kubeup-admin');
    expect(cert('super-admin').subject).toBe('O=system:masters\nCN=kubeup-super-admin');
  });

  it('serve the API server\'s names and addresses, and nothing else', () => {
    const api = cert('kube-apiserver');
    for (const ip of ['10.0.0.10', '10.96.0.1', '127.0.0.1']) expect(api.checkIP(ip), ip).toBe(ip);
    for (const host of ['kubernetes', 'kubernetes.default.svc.cluster.local', 'localhost', 'cp1']) expect(api.checkHost(host), host).toBe(host);
    expect(api.checkIP('10.0.0.11')).toBeUndefined();
    expect(api.checkHost('w1')).toBeUndefined();
  });

  it('give each kubelet its own node name and address', () => {
    const w2 = cert('kubelet-w2');
    expect(w2.checkIP('10.0.0.12')).toBe('10.0.0.12');
    expect(w2.checkHost('w2')).toBe('w2');
    expect(w2.checkIP('10.0.0.11')).toBeUndefined();
    const etcd = cert('etcd-server');
    expect(etcd.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(etcd.checkIP('10.0.0.10')).toBe('10.0.0.10');
  });

  it('have keys in PKCS#8 PEM that match them', async () => {
    for (const [name, c] of issued) {
      expect(c.keyPem, name).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(new X509Certificate(c.certPem).checkPrivateKey(createPrivateKey(c.keyPem)), name).toBe(true);
    }
    // openssl agrees: the public key of cert and key are the same.
    const fromCert = await openssl(['x509', '-in', 'kube-proxy.crt', '-noout', '-pubkey'], dir);
    const fromKey = await openssl(['pkey', '-in', 'kube-proxy.key', '-pubout'], dir);
    expect(fromCert.out).toBe(fromKey.out);
  });

  it('last one year, start slightly in the past, and point to the CA\'s key', async () => {
    const x = cert('kube-scheduler');
    const days = (new Date(x.validTo).getTime() - now.getTime()) / DAY;
    expect(days).toBeGreaterThan(364);
    expect(days).toBeLessThan(367);
    expect(new Date(x.validFrom).getTime()).toBeLessThan(now.getTime());
    const leafText = (await openssl(['x509', '-in', 'kube-scheduler.crt', '-noout', '-ext', 'authorityKeyIdentifier'], dir)).out;
    const caText = (await openssl(['x509', '-in', 'ca.crt', '-noout', '-ext', 'subjectKeyIdentifier'], dir)).out;
    const caSki = caText.trim().split('\n').at(-1)!.trim();
    expect(leafText).toContain(caSki);
  });

  it('have unique serial numbers', () => {
    const serials = [...issued.values()].map((c) => new X509Certificate(c.certPem).serialNumber);
    expect(new Set(serials).size).toBe(serials.length);
  });

  it('read back as the identity they were issued for', () => {
    for (const id of identities) {
      const { name: _name, ca: _ca, ...want } = id;
      expect(identityOfCertificate(issued.get(id.name)!.certPem)).toEqual(want);
      expect(identityDifferences(id, issued.get(id.name)!.certPem)).toEqual([]);
    }
  });
});

describe('reissueReason', () => {
  const id = () => identities.find((i) => i.name === 'kubelet-w1')!;

  it('keeps a certificate that still fits', () => {
    expect(reissueReason(id(), issued.get('kubelet-w1')!, ca, now)).toBeUndefined();
  });

  it('names a changed SAN', () => {
    const moved = { ...id(), sans: { dns: ['w1'], ip: ['10.0.0.21'] } };
    expect(reissueReason(moved, issued.get('kubelet-w1')!, ca, now)).toBe('identity changed: ip SANs +10.0.0.21 -10.0.0.11');
  });

  it('names a changed CN, O or usage', () => {
    const c = issued.get('kubelet-w1')!;
    expect(reissueReason({ ...id(), cn: 'system:node:x' }, c, ca, now)).toMatch(/CN system:node:w1 -> system:node:x/);
    expect(reissueReason({ ...id(), o: [] }, c, ca, now)).toMatch(/O \[system:nodes\] -> \[\]/);
    expect(reissueReason({ ...id(), usages: ['client'] }, c, ca, now)).toMatch(/usages \[client, server\] -> \[client\]/);
  });

  it('renews within 30 days of expiry', () => {
    expect(reissueReason(id(), issued.get('kubelet-w1')!, ca, new Date(now.getTime() + 340 * DAY))).toMatch(/^expires /);
  });

  it('replaces a certificate of another CA or with a foreign key', async () => {
    const other = await createCa('other');
    const foreign = await issueCertificate(other, id(), now);
    expect(reissueReason(id(), foreign, ca, now)).toBe('not signed by the current CA');
    const mixed = { certPem: issued.get('kubelet-w1')!.certPem, keyPem: foreign.keyPem };
    expect(reissueReason(id(), mixed, ca, now)).toMatch(/not the certificate's key/);
    expect(reissueReason(id(), { certPem: 'garbage', keyPem: '' }, ca, now)).toBe('certificate unreadable');
  });
});
