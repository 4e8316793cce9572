/**
 * The aggregation layer's side of kube-apiserver: the requestheader flags (k8s.io/apiserver/pkg/server/options/
 * authentication.go, RequestHeaderAuthenticationOptions), the front-proxy client pair (--proxy-client-*), the
 * requestheader authenticator (k8s.io/apiserver/pkg/authentication/request/headerrequest/requestheader.go), and the
 * kube-system/extension-apiserver-authentication ConfigMap that delegating components read
 * (pkg/controlplane/controller/clusterauthenticationtrust/cluster_authentication_trust_controller.go).
 */
import { X509Certificate } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ParsedFlags } from '../flags.js';
import { klog } from '../klog.js';
import { loadCertificates, loadKeyPair, pemBlocks, readFileOrExit } from '../pki.js';
import { StandinExit } from '../errors.js';

const log = klog('authentication.go:135');

export interface RequestHeaderConfig {
  readonly caPem: string;
  readonly cas: X509Certificate[];
  readonly allowedNames: string[];
  readonly usernameHeaders: string[];
  readonly uidHeaders: string[];
  readonly groupHeaders: string[];
  readonly extraHeaderPrefixes: string[];
}

export interface AggregationConfig {
  /** Absent without --requestheader-client-ca-file: the API server then has no requestheader authentication. */
  readonly requestHeader?: RequestHeaderConfig;
  /** --proxy-client-cert-file/--proxy-client-key-file, what the API server presents to aggregated API servers. */
  readonly proxyClient?: { certPem: string; keyPem: string };
}

const has = (list: string[], want: string) => list.some((h) => h.toLowerCase() === want.toLowerCase());

export function aggregationConfig(flags: ParsedFlags): AggregationConfig {
  const usernameHeaders = flags.list('requestheader-username-headers');
  const uidHeaders = flags.list('requestheader-uid-headers');
  const groupHeaders = flags.list('requestheader-group-headers');
  const extraHeaderPrefixes = flags.list('requestheader-extra-headers-prefix');
  for (const [name, list] of [['requestheader-username-headers', usernameHeaders], ['requestheader-uid-headers', uidHeaders], ['requestheader-group-headers', groupHeaders], ['requestheader-extra-headers-prefix', extraHeaderPrefixes]] as const) {
    if (list.some((h) => h.trim() === '')) throw new StandinExit(`empty value in ${JSON.stringify(name)}`);
  }
  // The real server warns (does not fail) when the standard names are missing: aggregation then does not work.
  if (usernameHeaders.length > 0 && !has(usernameHeaders, 'X-Remote-User')) log.warning('--requestheader-username-headers is set without specifying the standard X-Remote-User header - API aggregation will not work');
  if (groupHeaders.length > 0 && !has(groupHeaders, 'X-Remote-Group')) log.warning('--requestheader-group-headers is set without specifying the standard X-Remote-Group header - API aggregation will not work');
  if (extraHeaderPrefixes.length > 0 && !has(extraHeaderPrefixes, 'X-Remote-Extra-')) log.warning('--requestheader-extra-headers-prefix is set without specifying the standard X-Remote-Extra- header prefix - API aggregation will not work');

  const caFile = flags.string('requestheader-client-ca-file');
  let requestHeader: RequestHeaderConfig | undefined;
  if (caFile !== '') {
    const context = `unable to load requestheader client CA file ${caFile}`;
    const cas = loadCertificates(caFile, context);
    requestHeader = {
      caPem: readFileOrExit(caFile, context).toString('utf8'),
      cas,
      allowedNames: flags.list('requestheader-allowed-names'),
      usernameHeaders,
      uidHeaders,
      groupHeaders,
      extraHeaderPrefixes,
    };
  }
  const cert = flags.string('proxy-client-cert-file');
  const key = flags.string('proxy-client-key-file');
  let proxyClient: AggregationConfig['proxyClient'];
  if (cert !== '' || key !== '') {
    if (cert === '' || key === '') throw new StandinExit('--proxy-client-cert-file and --proxy-client-key-file must be given together');
    const pair = loadKeyPair(cert, key, 'failed to load proxy client certificate (--proxy-client-cert-file/--proxy-client-key-file)');
    proxyClient = { certPem: pair.certPem, keyPem: pair.keyPem };
  }
  return { ...(requestHeader ? { requestHeader } : {}), ...(proxyClient ? { proxyClient } : {}) };
}

/**
 * The requestheader authenticator: a client certificate that chains to the requestheader CA and whose CN is an allowed
 * name (any CN when the list is empty) vouches for the user in the headers. Undefined: not a front-proxy request.
 */
export function requestHeaderUser(
  cfg: RequestHeaderConfig | undefined,
  peerRaw: Buffer | undefined,
  headers: IncomingHttpHeaders,
): { name: string; groups: string[] } | undefined {
  if (!cfg || !peerRaw) return undefined;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(peerRaw);
  } catch {
    return undefined;
  }
  if (!cfg.cas.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey))) return undefined;
  const now = Date.now();
  if (now < new Date(cert.validFrom).getTime() || now > new Date(cert.validTo).getTime()) return undefined;
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? '';
  if (cfg.allowedNames.length > 0 && !cfg.allowedNames.includes(cn)) return undefined;
  const header = (name: string) => {
    const v = headers[name.toLowerCase()];
    return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x) => x !== '');
  };
  const name = cfg.usernameHeaders.map(header).find((v) => v.length > 0)?.[0];
  if (!name) return undefined;
  return { name, groups: cfg.groupHeaders.flatMap(header) };
}

export const AUTH_CONFIGMAP = { namespace: 'kube-system', name: 'extension-apiserver-authentication' };

const certPems = (bundle: string | undefined) => pemBlocks(bundle ?? '').filter((b) => b.type === 'CERTIFICATE').map((b) => `${b.pem.trim()}\n`);
const union = (a: string[], b: string[]) => [...new Set([...a, ...b])];
const slice = (json: string | undefined): string[] => (json ? (JSON.parse(json) as string[]) : []);

/**
 * The ConfigMap's data as the real controller writes it: what is there combined with what this server requires
 * (certificates and header names de-duplicated), the requestheader keys only when there is a requestheader CA.
 */
export function authenticationConfigMapData(existing: Record<string, string>, clientCaPem: string | undefined, rh: RequestHeaderConfig | undefined): Record<string, string> {
  const data: Record<string, string> = {};
  const clientCa = union(certPems(existing['client-ca-file']), certPems(clientCaPem));
  if (clientCa.length > 0) data['client-ca-file'] = clientCa.join('');
  const rhCa = union(certPems(existing['requestheader-client-ca-file']), certPems(rh?.caPem));
  if (rhCa.length === 0) return data;
  const merged = (key: string, mine: string[] | undefined) => JSON.stringify(union(slice(existing[key]), mine ?? []));
  data['requestheader-username-headers'] = merged('requestheader-username-headers', rh?.usernameHeaders);
  data['requestheader-uid-headers'] = merged('requestheader-uid-headers', rh?.uidHeaders);
  data['requestheader-group-headers'] = merged('requestheader-group-headers', rh?.groupHeaders);
  data['requestheader-extra-headers-prefix'] = merged('requestheader-extra-headers-prefix', rh?.extraHeaderPrefixes);
  data['requestheader-client-ca-file'] = rhCa.join('');
  data['requestheader-allowed-names'] = merged('requestheader-allowed-names', rh?.allowedNames);
  return data;
}
