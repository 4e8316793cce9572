// The CoreDNS add-on's objects, built from the plan as kubeadm builds its DNS add-on
// (kubernetes/kubernetes cmd/kubeadm/app/phases/addons/dns/manifests.go; pins from cmd/kubeadm/app/constants).
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { addonManifestFiles, addonYaml, objectPath, planAddons, type AddonObject } from '../../../src/addons/index.js';
import { assumedFacts, buildPlan } from '../../../src/plan/index.js';
import { validateProfile } from '../../../src/profile/validate.js';

function planFor(extra: Record<string, unknown> = {}) {
  const input = { name: 'lab', hosts: [{ address: '192.168.213.11', roles: 'ai' }, { address: '192.168.213.12', roles: 'i' }], ...extra };
  const r = validateProfile(input);
  expect(r.issues).toEqual([]);
  return buildPlan(r.profile!, assumedFacts(r.profile!));
}

// Objects are read field by field here; their type is the manifest's, not a TypeScript one.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const byKind = (objects: AddonObject[], kind: string): any => objects.find((o) => o.kind === kind)!;
const deployment = (objects: AddonObject[]) => byKind(objects, 'Deployment');

describe('CoreDNS add-on manifests', () => {
  it.each([
    ['1.34.4', 'v1.12.1'],
    ['1.35.2', 'v1.13.1'],
  ])('Kubernetes %s runs the CoreDNS kubeadm pins for its minor (%s)', (kubernetes, coredns) => {
    const plan = planFor({ versions: { kubernetes } });
    expect(plan.cluster.addons.dns?.version).toBe(coredns);
    const objects = planAddons(plan.cluster.addons)[0]!.objects;
    expect(deployment(objects).spec.template.spec.containers[0].image).toBe(`registry.k8s.io/coredns/coredns:${coredns}`);
  });

  it('puts the kube-dns Service at network.clusterDns and serves network.dnsDomain', () => {
    const plan = planFor({ network: { serviceCidr: '10.32.0.0/16', clusterDns: '10.32.0.53', dnsDomain: 'lab.example' } });
    const objects = planAddons(plan.cluster.addons)[0]!.objects;
    const svc = byKind(objects, 'Service');
    expect(svc.metadata).toMatchObject({ name: 'kube-dns', namespace: 'kube-system' });
    expect(svc.spec.clusterIP).toBe('10.32.0.53');
    expect(svc.spec.selector).toEqual({ 'k8s-app': 'kube-dns' });
    expect(svc.spec.ports).toEqual([
      { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
      { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
      { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
    ]);
    const corefile = byKind(objects, 'ConfigMap').data.Corefile;
    expect(corefile).toContain('    kubernetes lab.example in-addr.arpa ip6.arpa {\n');
    expect(corefile).toContain('       disable success lab.example\n       disable denial lab.example\n');
    expect(corefile).toContain('    forward . /etc/resolv.conf {\n');
    expect(corefile).not.toContain('cluster.local');
  });

  it('takes replicas, a private image repository and upstream resolvers from the profile', () => {
    const plan = planFor({ addons: { dns: { replicas: 3, imageRepository: 'registry.example.com:5000/k8s', upstreamResolvers: ['192.0.2.53', '[2001:db8::53]:53'] } } });
    const objects = planAddons(plan.cluster.addons)[0]!.objects;
    expect(deployment(objects).spec.replicas).toBe(3);
    // kubeadm: outside registry.k8s.io the image is <imageRepository>/coredns:<tag>
    expect(deployment(objects).spec.template.spec.containers[0].image).toBe('registry.example.com:5000/k8s/coredns:v1.13.1');
    const corefile = byKind(objects, 'ConfigMap').data.Corefile;
    expect(corefile).toContain('    forward . 192.0.2.53 [2001:db8::53]:53 {\n');
  });

  it('follows kubeadm\'s Deployment: priority class, tolerations, anti-affinity, probes, security context, node resolv.conf', () => {
    const d = deployment(planAddons(planFor().cluster.addons)[0]!.objects);
    const pod = d.spec.template.spec;
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.selector).toEqual({ matchLabels: { 'k8s-app': 'kube-dns' } });
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } });
    expect(pod.priorityClassName).toBe('system-cluster-critical');
    expect(pod.serviceAccountName).toBe('coredns');
    expect(pod.dnsPolicy).toBe('Default');
    expect(pod.tolerations).toEqual([{ key: 'CriticalAddonsOnly', operator: 'Exists' }, { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
    expect(pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]).toMatchObject({ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname' } });
    const c = pod.containers[0];
    expect(c.livenessProbe.httpGet).toEqual({ path: '/health', port: 'liveness-probe', scheme: 'HTTP' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'readiness-probe', scheme: 'HTTP' });
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] }, readOnlyRootFilesystem: true });
    expect(c.resources).toEqual({ limits: { memory: '170Mi' }, requests: { cpu: '100m', memory: '70Mi' } });
    expect(pod.volumes).toEqual([{ name: 'config-volume', configMap: { name: 'coredns', items: [{ key: 'Corefile', path: 'Corefile' }] } }]);
  });

  it('grants CoreDNS what kubeadm grants: list/watch of endpoints, services, pods, namespaces, endpointslices', () => {
    const objects = planAddons(planFor().cluster.addons)[0]!.objects;
    expect(objects.map((o) => `${o.kind} ${o.metadata.name}`)).toEqual([
      'ServiceAccount coredns',
      'ClusterRole system:coredns',
      'ClusterRoleBinding system:coredns',
      'ConfigMap coredns',
      'Deployment coredns',
      'Service kube-dns',
    ]);
    expect(byKind(objects, 'ClusterRoleBinding')).toMatchObject({ roleRef: { kind: 'ClusterRole', name: 'system:coredns' }, subjects: [{ kind: 'ServiceAccount', name: 'coredns', namespace: 'kube-system' }] });
    expect(objects.map(objectPath)).toEqual([
      '/api/v1/namespaces/kube-system/serviceaccounts/coredns',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles/system%3Acoredns',
      '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system%3Acoredns',
      '/api/v1/namespaces/kube-system/configmaps/coredns',
      '/apis/apps/v1/namespaces/kube-system/deployments/coredns',
      '/api/v1/namespaces/kube-system/services/kube-dns',
    ]);
  });

  it('renders deterministic YAML a user can apply by hand, and nothing when DNS is off', () => {
    const plan = planFor();
    const [file] = addonManifestFiles(plan.cluster.addons);
    expect(file!.path).toBe('addons/coredns.yaml');
    expect(addonManifestFiles(planFor().cluster.addons)[0]!.content).toBe(file!.content);
    const docs = parseAllDocuments(file!.content).map((d) => d.toJS() as AddonObject);
    expect(docs).toEqual(planAddons(plan.cluster.addons)[0]!.objects);
    expect(addonYaml(docs)).toBe(file!.content);
    expect(addonManifestFiles(planFor({ addons: { dns: { enabled: false } } }).cluster.addons)).toEqual([]);
    expect(planFor({ addons: { dns: { enabled: false } } }).cluster.addons).toEqual({});
  });
});
