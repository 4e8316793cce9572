/**
 * Minimal X.509 issuing with node:crypto (ECDSA P-256, DER written by hand), for what the real daemons generate
 * themselves: the self-signed serving certificate of kube-controller-manager, kube-scheduler and kubelet when no
 * --tls-cert-file is given. Not a general CA: tests make their PKI with openssl.
 */
import { generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n >>= 8;
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}

const seq = (...c: Buffer[]): Buffer => tlv(0x30, ...c);
const set = (...c: Buffer[]): Buffer => tlv(0x31, ...c);

function integer(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && ((b[1] ?? 0) & 0x80) === 0) b = b.subarray(1);
  if (((b[0] ?? 0) & 0x80) !== 0) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [(parts[0] ?? 0) * 40 + (parts[1] ?? 0)];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    let v = Math.floor(p / 128);
    while (v > 0) {
      chunk.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function name(cn: string, orgs: readonly string[]): Buffer {
  const rdns = orgs.map((o) => set(seq(oid('2.5.4.10'), tlv(0x0c, Buffer.from(o, 'utf8')))));
  rdns.push(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))));
  return seq(...rdns);
}

function time(d: Date): Buffer {
  const p = (n: number): string => String(n).padStart(2, '0');
  const body = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  if (d.getUTCFullYear() < 2050) return tlv(0x17, Buffer.from(`${p(d.getUTCFullYear() % 100)}${body}`));
  return tlv(0x18, Buffer.from(`${d.getUTCFullYear()}${body}`));
}

function ipBytes(ip: string): Buffer {
  if (ip.includes(':')) {
    const [head = '', tail = ''] = ip.split('::');
    const h = head ? head.split(':') : [];
    const t = ip.includes('::') ? (tail ? tail.split(':') : []) : [];
    const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    return Buffer.from(groups.flatMap((g) => {
      const v = parseInt(g, 16);
      return [v >> 8, v & 0xff];
    }));
  }
  return Buffer.from(ip.split('.').map(Number));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}

export interface MintRequest {
  readonly commonName: string;
  readonly organizations?: readonly string[];
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly isCA?: boolean;
  readonly usage: 'server' | 'client' | 'server+client' | 'ca';
  readonly days?: number;
  /** Signs with this issuer; self-signed when absent. */
  readonly issuer?: { readonly cert: X509Certificate; readonly key: KeyObject };
}

export interface Minted {
  readonly certPem: string;
  readonly keyPem: string;
  readonly cert: X509Certificate;
  readonly key: KeyObject;
}

export function mintCertificate(req: MintRequest): Minted {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const now = new Date();
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(now.getTime() + (req.days ?? 365) * 86_400_000);
  const ecdsaSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const exts: Buffer[] = [];
  const isCA = req.usage === 'ca' || req.isCA === true;
  exts.push(extension('2.5.29.19', true, seq(...(isCA ? [tlv(0x01, Buffer.from([0xff]))] : []))));
  // keyUsage: digitalSignature (bit 0), keyEncipherment (bit 2), keyCertSign (bit 5)
  const ku = isCA ? 0b10100100 : 0b10100000;
  exts.push(extension('2.5.29.15', true, tlv(0x03, Buffer.from([isCA ? 2 : 5, ku]))));
  if (req.usage !== 'ca') {
    const ekus = [];
    if (req.usage.includes('server')) ekus.push(oid('1.3.6.1.5.5.7.3.1'));
    if (req.usage.includes('client')) ekus.push(oid('1.3.6.1.5.5.7.3.2'));
    exts.push(extension('2.5.29.37', false, seq(...ekus)));
  }
  const sans = [
    ...(req.dnsNames ?? []).map((d) => tlv(0x82, Buffer.from(d, 'ascii'))),
    ...(req.ipAddresses ?? []).map((ip) => tlv(0x87, ipBytes(ip))),
  ];
  if (sans.length > 0) exts.push(extension('2.5.29.17', false, seq(...sans)));

  const issuerName = req.issuer ? Buffer.from(req.issuer.cert.raw).subarray(0) : null;
  const issuerDer = issuerName ? subjectDer(issuerName) : name(req.commonName, req.organizations ?? []);
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(Buffer.concat([Buffer.from([0x01]), randomBytes(15)])),
    ecdsaSha256,
    issuerDer,
    seq(time(notBefore), time(notAfter)),
    name(req.commonName, req.organizations ?? []),
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(...exts)),
  );
  const signature = sign('sha256', tbs, req.issuer?.key ?? privateKey);
  const der = seq(tbs, ecdsaSha256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const certPem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { certPem, keyPem, cert: new X509Certificate(certPem), key: privateKey };
}

/** Reads one DER element at `offset`: [tag, headerLength, contentLength]. */
function element(der: Buffer, offset: number): { header: number; length: number } {
  const first = der[offset + 1] ?? 0;
  if (first < 0x80) return { header: 2, length: first };
  const n = first & 0x7f;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + (der[offset + 2 + i] ?? 0);
  return { header: 2 + n, length };
}

/** The subject Name of a DER certificate, byte for byte (so issuer and subject match exactly). */
function subjectDer(certDer: Buffer): Buffer {
  const cert = element(certDer, 0);
  let p = cert.header; // inside Certificate
  const tbs = element(certDer, p);
  p += tbs.header; // inside TBSCertificate
  const skip = (): void => {
    const e = element(certDer, p);
    p += e.header + e.length;
  };
  if (certDer[p] === 0xa0) skip(); // version
  skip(); // serial
  skip(); // signature algorithm
  skip(); // issuer
  skip(); // validity
  const subject = element(certDer, p);
  return certDer.subarray(p, p + subject.header + subject.length);
}

/** What kube-controller-manager, kube-scheduler and kubelet do without --tls-cert-file: a CA and a serving cert. */
export function selfSignedServing(host: string, ips: readonly string[], dnsNames: readonly string[]): Minted {
  const ca = mintCertificate({ commonName: `${host}-ca@${Math.floor(Date.now() / 1000)}`, usage: 'ca' });
  return mintCertificate({
    commonName: `${host}@${Math.floor(Date.now() / 1000)}`,
    usage: 'server',
    dnsNames,
    ipAddresses: ips,
    issuer: { cert: ca.cert, key: ca.key },
  });
}
