/**
 * kube-apiserver flags -> a checked configuration, refusing what the real server refuses, with its messages
 * (aggregated like utilerrors.NewAggregate) and its defaults.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { StandinExit, aggregate } from '../errors.js';
import type { ParsedFlags } from '../flags.js';
import { parseCIDR, parseIP } from '../go-parse.js';
import { klog } from '../klog.js';
import { selfSignedServing } from '../mint.js';
import { loadCertificates, loadKeyPair, loadPrivateKey, loadPublicKeys, readFileOrExit } from '../pki.js';
import { validModes } from './authz.js';
import { AuditLog } from './audit.js';
import { EncryptionConfig } from './encryption.js';
import { aggregationConfig, type AggregationConfig } from './requestheader.js';
import { servingTls, type ServingTls } from './tls-options.js';

const log = klog('server.go:629');

export const knownAdmissionPlugins = [
  'AlwaysAdmit', 'AlwaysDeny', 'AlwaysPullImages', 'CertificateApproval', 'CertificateSigning', 'CertificateSubjectRestriction',
  'ClusterTrustBundleAttest', 'DefaultIngressClass', 'DefaultStorageClass', 'DefaultTolerationSeconds', 'DenyServiceExternalIPs',
  'EventRateLimit', 'ExtendedResourceToleration', 'ImagePolicyWebhook', 'LimitPodHardAntiAffinityTopology', 'LimitRanger',
  'MutatingAdmissionPolicy', 'MutatingAdmissionWebhook', 'NamespaceAutoProvision', 'NamespaceExists', 'NamespaceLifecycle',
  'NodeRestriction', 'OwnerReferencesPermissionEnforcement', 'PersistentVolumeClaimResize', 'PodNodeSelector', 'PodSecurity',
  'PodTolerationRestriction', 'PodTopologyLabels', 'Priority', 'ResourceQuota', 'RuntimeClass', 'ServiceAccount',
  'StorageObjectInUseProtection', 'TaintNodesByCondition', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionWebhook',
];

export interface ApiServerConfig {
  readonly etcdServers: string[];
  readonly etcdTls: { caPem?: string; certPem?: string; keyPem?: string };
  readonly bindAddress: string;
  readonly securePort: number;
  readonly advertiseAddress: string;
  readonly servingCertPem: string;
  readonly servingKeyPem: string;
  readonly clientCaPem?: string;
  readonly clientCas: X509Certificate[];
  readonly anonymousAuth: boolean;
  readonly authorizationModes: string[];
  readonly serviceCidr: { ip: string; bits: number };
  readonly serviceAccountIssuers: string[];
  readonly apiAudiences: string[];
  readonly serviceAccountSigningKey: KeyObject;
  readonly serviceAccountPublicKeys: KeyObject[];
  readonly serviceAccountMaxTokenSeconds: number;
  readonly admissionPlugins: string[];
  readonly kubeletClient?: { certPem: string; keyPem: string };
  readonly aggregation: AggregationConfig;
  /** --audit-log-path with --audit-policy-file. */
  readonly audit?: AuditLog;
  /** --encryption-provider-config, when given. */
  readonly encryption?: EncryptionConfig;
  /** --tls-min-version / --tls-cipher-suites as node:tls options. */
  readonly tls: ServingTls;
}

function defaultInterfaceAddress(): string | undefined {
  const addrs = Object.values(networkInterfaces()).flat().filter((a) => a && !a.internal && a.family === 'IPv4');
  return addrs[0]?.address;
}

export function apiServerConfig(flags: ParsedFlags): ApiServerConfig {
  const errors: string[] = [];
  const etcdServers = flags.list('etcd-servers');
  if (etcdServers.length === 0) errors.push('--etcd-servers must be specified');
  for (const s of etcdServers) {
    if (!/^https?:\/\/[^/]+/.test(s)) errors.push(`--etcd-servers: ${JSON.stringify(s)} is not a URL (e.g. https://127.0.0.1:2379)`);
  }
  const issuers = flags.list('service-account-issuer');
  const signingFile = flags.string('service-account-signing-key-file');
  if (issuers.length === 0) errors.push('service-account-issuer is a required flag');
  if (signingFile === '' || issuers.length === 0) errors.push('--service-account-signing-key-file and --service-account-issuer are required flags');
  for (const iss of issuers) {
    if (iss.includes(':') && !/^https:\/\//.test(iss)) errors.push(`service-account-issuer ${iss} contained a ':' but was not a valid URL`);
  }

  const modes = flags.list('authorization-mode', ['AlwaysAllow']);
  const seen = new Set<string>();
  for (const m of modes) {
    if (!(validModes as readonly string[]).includes(m)) errors.push(`authorization-mode ${JSON.stringify(m)} is not a valid mode`);
    if (seen.has(m)) errors.push(`authorization-mode ${JSON.stringify(m)} has mode specified more than once`);
    seen.add(m);
  }
  if (modes.includes('ABAC') && !flags.string('authorization-policy-file')) errors.push("authorization-mode ABAC's authorization policy file not passed");
  if (modes.includes('Webhook') && !flags.string('authorization-webhook-config-file')) errors.push("authorization-mode Webhook's authorization config file not passed");

  const securePort = flags.int('secure-port', 6443);
  if (securePort < 1 || securePort > 65535) errors.push(`--secure-port ${securePort} must be between 1 and 65535, inclusive. It cannot be turned off with 0`);
  const bindAddress = flags.string('bind-address', '0.0.0.0');
  if (parseIP(bindAddress) === null) errors.push(`--bind-address: invalid IP address ${JSON.stringify(bindAddress)}`);

  const rangeText = flags.string('service-cluster-ip-range');
  let serviceCidr = { ip: '10.0.0.0', bits: 24 };
  if (rangeText === '') {
    log.warning('No CIDR for service cluster IPs specified. Default value which was 10.0.0.0/24 is deprecated and will be removed in future releases. Please specify it using --service-cluster-ip-range on kube-apiserver.');
  } else {
    const first = rangeText.split(',')[0] ?? '';
    try {
      const c = parseCIDR(first);
      if (c.family === 4 && c.bits < 12) errors.push('specified --service-cluster-ip-range is too large; for 32-bit addresses, the mask must be >= 12');
      serviceCidr = { ip: c.ip, bits: c.bits };
    } catch (err) {
      errors.push(`service-cluster-ip-range[0] is not a valid cidr: ${(err as Error).message}`);
    }
  }

  const enabled = flags.list('enable-admission-plugins');
  const disabled = flags.list('disable-admission-plugins');
  for (const p of [...enabled, ...disabled, ...flags.list('admission-control')]) {
    if (!knownAdmissionPlugins.includes(p)) errors.push(`enable-admission-plugins plugin ${JSON.stringify(p)} is unknown`);
  }
  const both = enabled.filter((p) => disabled.includes(p));
  if (both.length > 0) errors.push(`${both.join(', ')} in enable-admission-plugins and disable-admission-plugins overlapped`);

  const kcCert = flags.string('kubelet-client-certificate');
  const kcKey = flags.string('kubelet-client-key');
  if ((kcCert === '') !== (kcKey === '')) errors.push('--kubelet-client-certificate and --kubelet-client-key must be given together');

  const tls = servingTls(flags, errors);
  if (errors.length > 0) throw new StandinExit(aggregate(errors));

  // Files: read only once the flags are consistent, failing on the first bad file like the real start-up does.
  const tlsCert = flags.string('tls-cert-file');
  const tlsKey = flags.string('tls-private-key-file');
  let servingCertPem: string;
  let servingKeyPem: string;
  let servingKey: KeyObject | undefined;
  if (tlsCert !== '' || tlsKey !== '') {
    if (tlsCert === '' || tlsKey === '') throw new StandinExit('--tls-cert-file and --tls-private-key-file must be given together');
    const pair = loadKeyPair(tlsCert, tlsKey, 'unable to load server certificate');
    servingCertPem = pair.certPem;
    servingKeyPem = pair.keyPem;
    servingKey = pair.key;
  } else {
    const self = selfSignedServing('localhost', ['127.0.0.1', '10.0.0.1'], ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc']);
    servingCertPem = self.certPem;
    servingKeyPem = self.keyPem;
    servingKey = self.key;
    log.info('Generated self-signed cert in-memory (no --tls-cert-file given)');
  }

  const clientCaFile = flags.string('client-ca-file');
  const clientCas = clientCaFile ? loadCertificates(clientCaFile, 'unable to load client CA provider') : [];
  const clientCaPem = clientCaFile ? readFileOrExit(clientCaFile, 'unable to load client CA provider').toString('utf8') : undefined;

  const etcdCa = flags.string('etcd-cafile');
  const etcdCert = flags.string('etcd-certfile');
  const etcdKey = flags.string('etcd-keyfile');
  const etcdTls: ApiServerConfig['etcdTls'] = {};
  if (etcdCa) {
    loadCertificates(etcdCa, 'failed to load etcd CA (--etcd-cafile)');
    etcdTls.caPem = readFileOrExit(etcdCa, '--etcd-cafile').toString('utf8');
  }
  if (etcdCert || etcdKey) {
    if (!etcdCert || !etcdKey) throw new StandinExit('--etcd-certfile and --etcd-keyfile must be given together');
    const pair = loadKeyPair(etcdCert, etcdKey, 'failed to load etcd client certificate (--etcd-certfile/--etcd-keyfile)');
    etcdTls.certPem = pair.certPem;
    etcdTls.keyPem = pair.keyPem;
  }

  const signingKey = loadPrivateKey(signingFile, 'failed to parse service-account-issuer-key-file (--service-account-signing-key-file)');
  const keyFiles = flags.list('service-account-key-file');
  let publicKeys: KeyObject[];
  if (keyFiles.length > 0) {
    publicKeys = keyFiles.flatMap((f) => loadPublicKeys(f, 'failed to read service account key file (--service-account-key-file)'));
  } else if (servingKey) {
    log.info('No --service-account-key-file given: verifying service account tokens with the serving key, like the real server');
    publicKeys = [servingKey];
  } else {
    throw new StandinExit('service-account-key-file is a required flag');
  }

  const kubeletCa = flags.string('kubelet-certificate-authority');
  if (kubeletCa) loadCertificates(kubeletCa, 'failed to load --kubelet-certificate-authority');
  let kubeletClient: ApiServerConfig['kubeletClient'];
  if (kcCert && kcKey) {
    const pair = loadKeyPair(kcCert, kcKey, 'failed to load kubelet client certificate (--kubelet-client-certificate/--kubelet-client-key)');
    kubeletClient = { certPem: pair.certPem, keyPem: pair.keyPem };
  }

  let anonymousAuth = flags.bool('anonymous-auth', true);
  if (anonymousAuth && modes.length === 1 && modes[0] === 'AlwaysAllow') {
    klog('authentication.go:520').warning('AnonymousAuth is not allowed with the AlwaysAllow authorizer. Resetting AnonymousAuth to false. You should use a different authorizer');
    anonymousAuth = false;
  }

  let advertiseAddress = flags.string('advertise-address');
  if (advertiseAddress === '') {
    advertiseAddress = bindAddress !== '0.0.0.0' && bindAddress !== '::' ? bindAddress : (defaultInterfaceAddress() ?? '');
    if (advertiseAddress === '') throw new StandinExit('unable to find suitable network address. error=\'no default routes found\'. Try to set the AdvertiseAddress directly or provide a valid BindAddress to fix this.');
    log.info('external host was not specified, using ' + advertiseAddress);
  } else if (parseIP(advertiseAddress) === null) {
    throw new StandinExit(`--advertise-address: invalid IP address ${JSON.stringify(advertiseAddress)}`);
  }

  const audiences = flags.list('api-audiences');
  const aggregation = aggregationConfig(flags);
  const encryptionFile = flags.string('encryption-provider-config');
  if (flags.bool('encryption-provider-config-automatic-reload', false)) {
    throw new StandinExit('--encryption-provider-config-automatic-reload: the kube-apiserver stand-in does not reload the encryption configuration');
  }
  const encryption = encryptionFile ? EncryptionConfig.load(encryptionFile) : undefined;
  const audit = AuditLog.fromFlags(flags);
  return {
    ...(audit ? { audit } : {}),
    ...(encryption ? { encryption } : {}),
    aggregation,
    tls,
    etcdServers,
    etcdTls,
    bindAddress,
    securePort,
    advertiseAddress,
    servingCertPem,
    servingKeyPem,
    ...(clientCaPem !== undefined ? { clientCaPem } : {}),
    clientCas,
    anonymousAuth,
    authorizationModes: modes,
    serviceCidr,
    serviceAccountIssuers: issuers,
    apiAudiences: audiences.length > 0 ? audiences : issuers,
    serviceAccountSigningKey: signingKey,
    serviceAccountPublicKeys: publicKeys,
    serviceAccountMaxTokenSeconds: Math.floor(flags.duration('service-account-max-token-expiration', 0) / 1000),
    admissionPlugins: enabled,
    ...(kubeletClient ? { kubeletClient } : {}),
  };
}
