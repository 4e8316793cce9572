/**
 * --tls-min-version and --tls-cipher-suites (k8s.io/component-base/cli/flag/ciphersuites_flag.go): Go's names mapped
 * to OpenSSL's for node:tls. A name the real server does not know is refused with its message; a known name the
 * stand-in has no OpenSSL equivalent for is refused too (unsure, so it says so).
 */
import type { ParsedFlags } from '../flags.js';

export interface ServingTls {
  readonly minVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL cipher list; absent: Node's defaults (Go's defaults are similar). */
  readonly ciphers?: string;
}

const VERSIONS: Record<string, ServingTls['minVersion']> = { VersionTLS10: 'TLSv1', VersionTLS11: 'TLSv1.1', VersionTLS12: 'TLSv1.2', VersionTLS13: 'TLSv1.3' };

// Go's crypto/tls names (both spellings Go accepts for ChaCha20) -> OpenSSL. TLS 1.3 suites are accepted by Go and
// then not configurable; Node keeps its TLS 1.3 suites the same way.
const TLS13 = new Set(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']);
const OPENSSL: Record<string, string> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
};
// Names Go knows (insecure or CBC ones among them) that the stand-in does not map.
const GO_KNOWN_UNMAPPED = /^TLS_(RSA|ECDHE_(RSA|ECDSA))_WITH_(AES_(128|256)_CBC_SHA(256)?|3DES_EDE_CBC_SHA|RC4_128_SHA|AES_(128|256)_GCM_SHA(256|384))$/;

/** Reads both flags, appending the real server's messages to `errors`. */
export function servingTls(flags: ParsedFlags, errors: string[]): ServingTls {
  const versionName = flags.string('tls-min-version');
  let minVersion: ServingTls['minVersion'] = 'TLSv1.2';
  if (versionName !== '') {
    const v = VERSIONS[versionName];
    if (!v) errors.push(`unknown tls version ${JSON.stringify(versionName)}`);
    else minVersion = v;
  }
  const names = flags.list('tls-cipher-suites');
  const ciphers: string[] = [];
  for (const n of names) {
    if (TLS13.has(n)) continue;
    const o = OPENSSL[n];
    if (o) ciphers.push(o);
    else if (GO_KNOWN_UNMAPPED.test(n)) errors.push(`--tls-cipher-suites: the stand-in does not model cipher suite ${n}`);
    else errors.push(`Cipher suite ${n} not supported or doesn't exist`);
  }
  return { minVersion, ...(ciphers.length > 0 ? { ciphers: [...new Set(ciphers)].join(':') } : {}) };
}
