// Every CIS item of src/render/cis.ts against what kubeup renders for Kubernetes 1.34 and 1.35: an item marked met
// must hold in the rendered files, one marked not met must really not hold (so the table cannot go stale either way),
// and the README carries the same rows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { HostPlan, Plan } from '../../../src/plan/index.js';
import { CIS_ITEMS } from '../../../src/render/cis.js';
import { CA_CERT, KUBELET_CONFIG, KUBE_PROXY_CONFIG, KUBE_SCHEDULER_CONFIG, defaultsPath, kubeconfigPath, unitPath } from '../../../src/render/paths.js';
import { ETCD_DATA_DIR } from '../../../src/render/paths.js';
import { dataDirs, hostSteps } from '../../../src/provision/steps.js';
import { file, flagMap, optionsWords, planFor, profileWithVersion } from './helpers.js';
import { SUPER_ADMIN_KUBECONFIG } from '../../../src/pki/index.js';

const STRONG = new Set('TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'.split(','));

function checks(plan: Plan): Record<string, () => boolean> {
  const master = plan.hosts.find((h) => h.roles.includes('master'))!;
  const worker = plan.hosts.find((h) => h.roles.includes('worker'))!;
  const flags = (h: HostPlan, daemon: string) => flagMap(optionsWords(file(h, defaultsPath(daemon)).content).words);
  const api = flags(master, 'kube-apiserver');
  const kcm = flags(master, 'kube-controller-manager');
  const sched = flags(master, 'kube-scheduler');
  const etcd = flags(master, 'etcd');
  const kubeletFlags = flags(worker, 'kubelet');
  const yamlOf = (h: HostPlan, path: string) => parseYaml(file(h, path).content) as Record<string, unknown>;
  const kubelet = yamlOf(worker, KUBELET_CONFIG);
  const proxy = yamlOf(worker, KUBE_PROXY_CONFIG);
  const schedCfg = yamlOf(master, KUBE_SCHEDULER_CONFIG);
  const mode = (h: HostPlan, path: string) => file(h, path).mode;
  const owner = (h: HostPlan, path: string) => file(h, path).owner === 'root:root';
  const specFiles = (h: HostPlan, daemon: string) => [defaultsPath(daemon), unitPath(`${daemon}.service`)];
  const specMode600 = (h: HostPlan, daemon: string) => specFiles(h, daemon).every((p) => (mode(h, p) & ~0o600) === 0);
  const specOwner = (h: HostPlan, daemon: string) => specFiles(h, daemon).every((p) => owner(h, p));
  const anyCert = { get: () => pem } as unknown as Map<string, typeof pem>;
  const uploads = (h: HostPlan) => hostSteps(plan, { ...h, binaries: [] }, { artifacts: [], pki: { cas: { ca: pem, 'etcd-ca': pem, 'front-proxy-ca': pem }, certs: anyCert, serviceAccount: { keyPem: 'k', pubPem: 'p' }, encryptionConfig: '' } }).flatMap((s) => (s.kind === 'upload' && s.what !== 'binary' ? [s] : []));
  const pkiUploads = (h: HostPlan) => uploads(h).filter((s) => s.path.startsWith('/etc/kubernetes/pki/'));
  const admission = (api.get('enable-admission-plugins') ?? '').split(',');
  const has = (m: Map<string, string>, k: string) => m.has(k) && m.get(k) !== '';
  const auth = kubelet.authentication as { anonymous?: { enabled?: boolean }; x509?: { clientCAFile?: string } };
  return {
    '1.1.1': () => specMode600(master, 'kube-apiserver'),
    '1.1.2': () => specOwner(master, 'kube-apiserver'),
    '1.1.3': () => specMode600(master, 'kube-controller-manager'),
    '1.1.4': () => specOwner(master, 'kube-controller-manager'),
    '1.1.5': () => specMode600(master, 'kube-scheduler'),
    '1.1.6': () => specOwner(master, 'kube-scheduler'),
    '1.1.7': () => specMode600(master, 'etcd'),
    '1.1.8': () => specOwner(master, 'etcd'),
    '1.1.9': () => (mode(worker, '/etc/cni/net.d/10-flannel.conflist') & ~0o600) === 0,
    '1.1.10': () => owner(worker, '/etc/cni/net.d/10-flannel.conflist'),
    '1.1.11': () => dataDirs(master, plan).find((d) => d.path === ETCD_DATA_DIR)?.mode === 0o700,
    '1.1.12': () => false, // etcd runs as root: there is no etcd user to own the directory
    '1.1.13': () => plan.hosts.every((h) => h.files.every((f) => !/admin\.conf$/.test(f.path))) && SUPER_ADMIN_KUBECONFIG === 'super-admin.conf',
    '1.1.14': () => plan.hosts.every((h) => h.files.every((f) => !/admin\.conf$/.test(f.path))),
    '1.1.15': () => mode(master, kubeconfigPath('kube-scheduler')) === 0o600,
    '1.1.16': () => owner(master, kubeconfigPath('kube-scheduler')),
    '1.1.17': () => mode(master, kubeconfigPath('kube-controller-manager')) === 0o600,
    '1.1.18': () => owner(master, kubeconfigPath('kube-controller-manager')),
    '1.1.19': () => plan.hosts.every((h) => pkiUploads(h).every((s) => s.owner === 'root:root')),
    '1.1.20': () => plan.hosts.every((h) => pkiUploads(h).filter((s) => s.path.endsWith('.crt')).every((s) => (s.mode & ~0o644) === 0)),
    '1.1.21': () => plan.hosts.every((h) => pkiUploads(h).filter((s) => s.path.endsWith('.key')).every((s) => s.mode === 0o600 && s.sensitive)),
    '1.2.1': () => api.get('anonymous-auth') === 'false',
    '1.2.2': () => !api.has('token-auth-file'),
    '1.2.3': () => admission.includes('DenyServiceExternalIPs'),
    '1.2.4': () => has(api, 'kubelet-client-certificate') && has(api, 'kubelet-client-key'),
    '1.2.5': () => has(api, 'kubelet-certificate-authority'),
    '1.2.6': () => !(api.get('authorization-mode') ?? 'AlwaysAllow').split(',').includes('AlwaysAllow'),
    '1.2.7': () => (api.get('authorization-mode') ?? '').split(',').includes('Node'),
    '1.2.8': () => (api.get('authorization-mode') ?? '').split(',').includes('RBAC'),
    '1.2.9': () => admission.includes('EventRateLimit'),
    '1.2.10': () => !admission.includes('AlwaysAdmit'),
    '1.2.11': () => admission.includes('AlwaysPullImages'),
    '1.2.12': () => !(api.get('disable-admission-plugins') ?? '').split(',').includes('ServiceAccount'),
    '1.2.13': () => !(api.get('disable-admission-plugins') ?? '').split(',').includes('NamespaceLifecycle'),
    '1.2.14': () => admission.includes('NodeRestriction'),
    '1.2.15': () => api.get('profiling') === 'false',
    '1.2.16': () => has(api, 'audit-log-path'),
    '1.2.17': () => Number(api.get('audit-log-maxage')) >= 30,
    '1.2.18': () => Number(api.get('audit-log-maxbackup')) >= 10,
    '1.2.19': () => Number(api.get('audit-log-maxsize')) >= 100,
    '1.2.20': () => !api.has('request-timeout') || api.get('request-timeout') !== '0s',
    '1.2.21': () => api.get('service-account-lookup') !== 'false',
    '1.2.22': () => has(api, 'service-account-key-file'),
    '1.2.23': () => has(api, 'etcd-certfile') && has(api, 'etcd-keyfile'),
    '1.2.24': () => has(api, 'tls-cert-file') && has(api, 'tls-private-key-file'),
    '1.2.25': () => has(api, 'client-ca-file'),
    '1.2.26': () => has(api, 'etcd-cafile') && api.get('etcd-cafile') !== CA_CERT,
    '1.2.27': () => has(api, 'encryption-provider-config'),
    // What kube-bench reads: the line after "providers:" names the first provider.
    '1.2.28': () => /providers:\n\s*- (aescbc|kms|secretbox):/.test(encryptionConfigSample),
    '1.2.29': () => (api.get('tls-cipher-suites') ?? '').split(',').every((s) => STRONG.has(s)) && has(api, 'tls-cipher-suites'),
    '1.2.30': () => api.get('service-account-extend-token-expiration') === 'false',
    '1.3.1': () => has(kcm, 'terminated-pod-gc-threshold'),
    '1.3.2': () => kcm.get('profiling') === 'false',
    '1.3.3': () => kcm.get('use-service-account-credentials') === 'true',
    '1.3.4': () => has(kcm, 'service-account-private-key-file'),
    '1.3.5': () => has(kcm, 'root-ca-file'),
    '1.3.6': () => !(kcm.get('feature-gates') ?? '').includes('RotateKubeletServerCertificate=false'),
    '1.3.7': () => kcm.get('bind-address') === '127.0.0.1',
    '1.4.1': () => schedCfg.enableProfiling === false,
    '1.4.2': () => sched.get('bind-address') === '127.0.0.1',
    '2.1': () => has(etcd, 'cert-file') && has(etcd, 'key-file'),
    '2.2': () => etcd.get('client-cert-auth') === 'true',
    '2.3': () => etcd.get('auto-tls') !== 'true',
    '2.4': () => has(etcd, 'peer-cert-file') && has(etcd, 'peer-key-file'),
    '2.5': () => etcd.get('peer-client-cert-auth') === 'true',
    '2.6': () => etcd.get('peer-auto-tls') !== 'true',
    '2.7': () => etcd.get('trusted-ca-file') !== CA_CERT && etcd.get('trusted-ca-file') === api.get('etcd-cafile'),
    '4.1.1': () => specMode600(worker, 'kubelet'),
    '4.1.2': () => specOwner(worker, 'kubelet'),
    '4.1.3': () => mode(worker, kubeconfigPath('kube-proxy')) === 0o600,
    '4.1.4': () => owner(worker, kubeconfigPath('kube-proxy')),
    '4.1.5': () => mode(worker, kubeconfigPath('kubelet')) === 0o600,
    '4.1.6': () => owner(worker, kubeconfigPath('kubelet')),
    '4.1.7': () => uploads(worker).filter((s) => s.path === CA_CERT).every((s) => (s.mode & ~0o644) === 0),
    '4.1.8': () => uploads(worker).filter((s) => s.path === CA_CERT).every((s) => s.owner === 'root:root'),
    '4.1.9': () => (mode(worker, KUBELET_CONFIG) & ~0o600) === 0,
    '4.1.10': () => owner(worker, KUBELET_CONFIG),
    '4.2.1': () => auth.anonymous?.enabled === false,
    '4.2.2': () => (kubelet.authorization as { mode?: string }).mode !== 'AlwaysAllow',
    '4.2.3': () => !!auth.x509?.clientCAFile,
    '4.2.4': () => kubelet.readOnlyPort === 0,
    '4.2.5': () => kubelet.streamingConnectionIdleTimeout !== '0' && kubelet.streamingConnectionIdleTimeout !== '0s',
    '4.2.6': () => kubelet.makeIPTablesUtilChains !== false,
    '4.2.7': () => !kubeletFlags.has('hostname-override'),
    '4.2.8': () => kubelet.eventRecordQPS !== 0,
    '4.2.9': () => !!kubelet.tlsCertFile && !!kubelet.tlsPrivateKeyFile,
    '4.2.10': () => kubelet.rotateCertificates === true,
    '4.2.11': () => kubelet.serverTLSBootstrap === true,
    '4.2.12': () => Array.isArray(kubelet.tlsCipherSuites) && (kubelet.tlsCipherSuites as string[]).every((s) => STRONG.has(s)),
    '4.2.13': () => typeof kubelet.podPidsLimit === 'number' && kubelet.podPidsLimit > 0,
    '4.2.14': () => kubelet.seccompDefault === true,
    '4.3.1': () => proxy.metricsBindAddress === undefined || /^127\.0\.0\.1:/.test(String(proxy.metricsBindAddress)),
  };
}

const pem = { certPem: 'c', keyPem: 'k' };
// The configuration kubeup generates (src/pki/encryption.ts), with a stand-in key.
import { renderEncryptionConfig } from '../../../src/pki/encryption.js';
const encryptionConfigSample = renderEncryptionConfig('kubeup-1', Buffer.alloc(32, 1));

describe('CIS Kubernetes Benchmark (kube-bench cis-1.12) items against the rendered files', () => {
  for (const k8s of ['1.34.3', '1.35.2']) {
    describe(`Kubernetes ${k8s}`, () => {
      const plan = planFor(profileWithVersion('three-hosts', k8s));
      const table = checks(plan);
      it('has a check for every item and an item for every check', () => {
        expect(Object.keys(table).sort()).toEqual(CIS_ITEMS.map((i) => i.id).sort());
      });
      for (const item of CIS_ITEMS) {
        it(`${item.id} ${item.title}: ${item.status}`, () => {
          expect(table[item.id]!(), item.note ?? '').toBe(item.status === 'met');
        });
      }
    });
  }

  it('every item that is not met says why', () => {
    expect(CIS_ITEMS.filter((i) => i.status === 'not met' && !i.note).map((i) => i.id)).toEqual([]);
  });

  it('the README carries the same table', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');
    for (const i of CIS_ITEMS) expect(readme).toContain(`| ${i.id} | ${i.title} | ${i.status} | ${i.note ?? ''} |`);
  });
});
