/**
 * Service-account tokens: TokenRequest signing with --service-account-signing-key-file (RS256 / ES256 / ES384) and
 * bearer-token authentication against the public keys of --service-account-key-file, checking issuer, audience,
 * expiry and (by the caller) that the service account still exists with the same uid.
 */
import { createHash, createPublicKey, randomUUID, sign, verify, type KeyObject } from 'node:crypto';

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

function algorithm(key: KeyObject): { alg: string; hash: string; dsa: boolean } {
  if (key.asymmetricKeyType === 'rsa') return { alg: 'RS256', hash: 'sha256', dsa: false };
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return { alg: 'ES256', hash: 'sha256', dsa: true };
    if (curve === 'secp384r1') return { alg: 'ES384', hash: 'sha384', dsa: true };
  }
  throw new Error(`unsupported service account signing key type ${key.asymmetricKeyType ?? 'unknown'}`);
}

/** The real server's key id: base64url(sha256(DER SubjectPublicKeyInfo)). */
export function keyId(publicKey: KeyObject): string {
  return b64url(createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest());
}

export interface TokenClaims {
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  iss: string;
  jti: string;
  sub: string;
  'kubernetes.io': { namespace: string; serviceaccount: { name: string; uid: string } };
}

export function signToken(signingKey: KeyObject, claims: TokenClaims): string {
  const { alg, hash, dsa } = algorithm(signingKey);
  const header = b64url(JSON.stringify({ alg, kid: keyId(createPublicKey(signingKey)) }));
  const payload = b64url(JSON.stringify(claims));
  const sig = sign(hash, Buffer.from(`${header}.${payload}`), dsa ? { key: signingKey, dsaEncoding: 'ieee-p1363' } : signingKey);
  return `${header}.${payload}.${b64url(sig)}`;
}

export function newClaims(opts: { issuer: string; audiences: string[]; namespace: string; name: string; uid: string; expirationSeconds: number }): TokenClaims {
  const now = Math.floor(Date.now() / 1000);
  return {
    aud: opts.audiences,
    exp: now + opts.expirationSeconds,
    iat: now,
    nbf: now,
    iss: opts.issuer,
    jti: randomUUID(),
    sub: `system:serviceaccount:${opts.namespace}:${opts.name}`,
    'kubernetes.io': { namespace: opts.namespace, serviceaccount: { name: opts.name, uid: opts.uid } },
  };
}

/** Returns the claims of a valid token, or null when the token is not ours or not valid (-> 401). */
export function verifyToken(token: string, publicKeys: readonly KeyObject[], issuers: readonly string[], audiences: readonly string[]): TokenClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [h, p, s] = parts as [string, string, string];
  let header: { alg?: string };
  let claims: TokenClaims;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string };
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as TokenClaims;
  } catch {
    return null;
  }
  const signed = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, 'base64url');
  const ok = publicKeys.some((key) => {
    try {
      const { alg, hash, dsa } = algorithm(key);
      if (alg !== header.alg) return false;
      return verify(hash, signed, dsa ? { key, dsaEncoding: 'ieee-p1363' } : key, sig);
    } catch {
      return false;
    }
  });
  if (!ok) return null;
  const now = Math.floor(Date.now() / 1000);
  if (!issuers.includes(claims.iss)) return null;
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.some((a) => audiences.includes(a))) return null;
  if (typeof claims.exp !== 'number' || claims.exp < now - 60) return null;
  if (typeof claims.nbf === 'number' && claims.nbf > now + 60) return null;
  if (!claims['kubernetes.io']?.serviceaccount?.name) return null;
  return claims;
}
