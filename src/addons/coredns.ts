// CoreDNS, the cluster DNS: the objects kubeadm's DNS add-on creates (cmd/kubeadm/app/phases/addons/dns in
// kubernetes/kubernetes, manifests.go and dns.go), rebuilt as data. The Service takes network.clusterDns, the
// address every kubelet hands its pods as nameserver; the Corefile serves network.dnsDomain.
import type { AddonObject } from './types.js';

/**
 * The CoreDNS release kubeadm deploys with each Kubernetes minor: `CoreDNSVersion` in
 * cmd/kubeadm/app/constants/constants.go on the release branch named. Add a minor here when kubeup supports it.
 */
export const COREDNS_VERSIONS: Readonly<Record<string, { version: string; source: string }>> = {
  '1.34': { version: 'v1.12.1', source: 'kubernetes/kubernetes release-1.34, cmd/kubeadm/app/constants/constants.go: CoreDNSVersion = "v1.12.1"' },
  '1.35': { version: 'v1.13.1', source: 'kubernetes/kubernetes release-1.35, cmd/kubeadm/app/constants/constants.go: CoreDNSVersion = "v1.13.1"' },
};

/** kubeadm's default registry, where CoreDNS lives one level deeper (registry.k8s.io/coredns/coredns). */
export const UPSTREAM_REGISTRY = 'registry.k8s.io';

export function corednsVersion(kubernetesMinor: string): string {
  const pin = COREDNS_VERSIONS[kubernetesMinor];
  if (!pin) throw new Error(`kubeup pins no CoreDNS release for Kubernetes ${kubernetesMinor}`);
  return pin.version;
}

/**
 * The image reference as kubeadm builds it (GetDNSImage in cmd/kubeadm/app/images/images.go): from the default
 * registry registry.k8s.io/coredns/coredns:<tag>; from any other imageRepository <repository>/coredns:<tag>.
 */
export function corednsImage(imageRepository: string, version: string): string {
  return imageRepository === UPSTREAM_REGISTRY ? `${UPSTREAM_REGISTRY}/coredns/coredns:${version}` : `${imageRepository}/coredns:${version}`;
}

export interface CorednsSettings {
  image: string;
  replicas: number;
  clusterDns: string;
  dnsDomain: string;
  /** Empty: the node's /etc/resolv.conf (dnsPolicy Default), as kubeadm does. */
  upstreamResolvers: string[];
}

const NAMESPACE = 'kube-system';
const APP_LABEL = { 'k8s-app': 'kube-dns' };
export const COREDNS_DEPLOYMENT = { namespace: NAMESPACE, name: 'coredns', selector: 'k8s-app=kube-dns' } as const;

/** The Corefile kubeadm writes, with the profile's domain and, when given, its upstream resolvers. */
export function corefile(dnsDomain: string, upstreamResolvers: readonly string[]): string {
  const upstream = upstreamResolvers.length ? upstreamResolvers.join(' ') : '/etc/resolv.conf';
  return [
    '.:53 {',
    '    errors',
    '    health {',
    '       lameduck 5s',
    '    }',
    '    ready',
    `    kubernetes ${dnsDomain} in-addr.arpa ip6.arpa {`,
    '       pods insecure',
    '       fallthrough in-addr.arpa ip6.arpa',
    '       ttl 30',
    '    }',
    '    prometheus :9153',
    `    forward . ${upstream} {`,
    '       max_concurrent 1000',
    '    }',
    // Answers for the cluster's own names change with its Services: kubeadm keeps them out of the cache.
    '    cache 30 {',
    `       disable success ${dnsDomain}`,
    `       disable denial ${dnsDomain}`,
    '    }',
    '    loop',
    '    reload',
    '    loadbalance',
    '}',
    '',
  ].join('\n');
}

/** The objects in the order they are applied: identity and permissions first, the Service last. */
export function corednsObjects(s: CorednsSettings): AddonObject[] {
  const serviceAccount: AddonObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'coredns', namespace: NAMESPACE } };
  const clusterRole: AddonObject = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'system:coredns' },
    rules: [
      { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
    ],
  };
  const binding: AddonObject = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'system:coredns' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:coredns' },
    subjects: [{ kind: 'ServiceAccount', name: 'coredns', namespace: NAMESPACE }],
  };
  const configMap: AddonObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'coredns', namespace: NAMESPACE },
    data: { Corefile: corefile(s.dnsDomain, s.upstreamResolvers) },
  };
  const deployment: AddonObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: COREDNS_DEPLOYMENT.name, namespace: NAMESPACE, labels: { ...APP_LABEL } },
    spec: {
      replicas: s.replicas,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      selector: { matchLabels: { ...APP_LABEL } },
      template: {
        metadata: { labels: { ...APP_LABEL } },
        spec: {
          priorityClassName: 'system-cluster-critical',
          serviceAccountName: 'coredns',
          // Replicas spread over nodes where they can: one node going away leaves DNS answering.
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    labelSelector: { matchExpressions: [{ key: 'k8s-app', operator: 'In', values: ['kube-dns'] }] },
                    topologyKey: 'kubernetes.io/hostname',
                  },
                },
              ],
            },
          },
          tolerations: [
            { key: 'CriticalAddonsOnly', operator: 'Exists' },
            { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
          ],
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          containers: [
            {
              name: 'coredns',
              image: s.image,
              imagePullPolicy: 'IfNotPresent',
              resources: { limits: { memory: '170Mi' }, requests: { cpu: '100m', memory: '70Mi' } },
              args: ['-conf', '/etc/coredns/Corefile'],
              volumeMounts: [{ name: 'config-volume', mountPath: '/etc/coredns', readOnly: true }],
              ports: [
                { containerPort: 53, name: 'dns', protocol: 'UDP' },
                { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' },
                { containerPort: 9153, name: 'metrics', protocol: 'TCP' },
                { containerPort: 8080, name: 'liveness-probe', protocol: 'TCP' },
                { containerPort: 8181, name: 'readiness-probe', protocol: 'TCP' },
              ],
              livenessProbe: {
                httpGet: { path: '/health', port: 'liveness-probe', scheme: 'HTTP' },
                initialDelaySeconds: 60,
                timeoutSeconds: 5,
                successThreshold: 1,
                failureThreshold: 5,
              },
              readinessProbe: { httpGet: { path: '/ready', port: 'readiness-probe', scheme: 'HTTP' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
                readOnlyRootFilesystem: true,
              },
            },
          ],
          // CoreDNS itself resolves upstream through the node, never through itself.
          dnsPolicy: 'Default',
          volumes: [{ name: 'config-volume', configMap: { name: 'coredns', items: [{ key: 'Corefile', path: 'Corefile' }] } }],
        },
      },
    },
  };
  const service: AddonObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'kube-dns',
      namespace: NAMESPACE,
      labels: { ...APP_LABEL, 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
      annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
    },
    spec: {
      clusterIP: s.clusterDns,
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
      ],
      selector: { ...APP_LABEL },
    },
  };
  return [serviceAccount, clusterRole, binding, configMap, deployment, service];
}
