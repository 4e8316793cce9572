// Component config files read by the real programs where they can run here (containerd, kubectl), and checked
// field by field where they cannot (kubelet, kube-proxy, kube-scheduler, flannel, CNI).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CNI_PLUGINS } from '../../../src/render/cni.js';
import { renderRbacManifest, renderRbacObjects } from '../../../src/render/rbac.js';
import * as pkiIdentities from '../../../src/pki/identities.js';
import { FIXTURES, file, loadProfile, planFor } from './helpers.js';
import { realKubectl } from '../../kubectl.js';

const plan = planFor(loadProfile('three-hosts', { network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', clusterDns: '10.96.0.10', flannelBackend: 'host-gw' } }));
const [master, worker] = plan.hosts;
const scratch = mkdtempSync(join(tmpdir(), 'kubeup-configs-'));
/** The real kubectl v1.35 shipped in a dev dependency; used offline only. */
let kubectl: string;
beforeAll(() => {
  kubectl = realKubectl();
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The section header ([a.b.c]) that a line of a TOML dump belongs to. */
function sectionOf(toml: string, line: RegExp): string | undefined {
  let section: string | undefined;
  for (const l of toml.split('\n')) {
    const h = /^\s*\[(.+)\]\s*$/.exec(l);
    if (h) section = h[1];
    else if (line.test(l)) return section;
  }
  return undefined;
}

describe('containerd config.toml', () => {
  it('the real containerd loads it and puts every setting where the CRI plugin reads it', () => {
    const path = join(scratch, 'config.toml');
    writeFileSync(path, file(worker!, '/etc/containerd/config.toml').content);
    const dump = execFileSync('containerd', ['--config', path, 'config', 'dump'], { encoding: 'utf8' });
    const cri = 'plugins."io.containerd.grpc.v1.cri"';
    expect(dump).toMatch(/^version = 2$/m);
    expect(sectionOf(dump, /^\s*SystemdCgroup = true$/)).toBe(`${cri}.containerd.runtimes.runc.options`);
    expect(sectionOf(dump, /^\s*BinaryName = "\/opt\/bin\/runc"$/)).toBe(`${cri}.containerd.runtimes.runc.options`);
    expect(sectionOf(dump, /^\s*bin_dir = "\/opt\/cni\/bin"$/)).toBe(`${cri}.cni`);
    expect(sectionOf(dump, /^\s*conf_dir = "\/etc\/cni\/net\.d"$/)).toBe(`${cri}.cni`);
    expect(sectionOf(dump, /^\s*address = "\/run\/containerd\/containerd\.sock"$/)).toBe('grpc');
    expect(sectionOf(dump, /^\s*default_runtime_name = "runc"$/)).toBe(`${cri}.containerd`);
  });

  it('a broken file is refused by the same check (so the test above can fail)', () => {
    const path = join(scratch, 'broken.toml');
    writeFileSync(path, file(worker!, '/etc/containerd/config.toml').content.replace('[grpc]', '[grpc'));
    expect(spawnSync('containerd', ['--config', path, 'config', 'dump']).status).not.toBe(0);
  });
});

describe('kubeconfigs', () => {

  const cases = [
    [master!, 'kube-controller-manager', 'https://127.0.0.1:6443'],
    [master!, 'kube-scheduler', 'https://127.0.0.1:6443'],
    [worker!, 'kubelet', 'https://192.168.213.11:6443'],
    [worker!, 'kube-proxy', 'https://192.168.213.11:6443'],
    [worker!, 'flannel', 'https://192.168.213.11:6443'],
  ] as const;

  for (const [host, component, server] of cases) {
    it(`${component}: real kubectl reads it; it points at ${server} and at certificate files, 0600`, () => {
      const f = file(host, `/etc/kubernetes/${component}.kubeconfig`);
      expect(f.mode).toBe(0o600);
      const path = join(scratch, `${component}.kubeconfig`);
      writeFileSync(path, f.content);
      const view = JSON.parse(execFileSync(kubectl, ['config', 'view', '--kubeconfig', path, '-o', 'json'], { encoding: 'utf8', env: {} }));
      expect(view['current-context']).toBe('default');
      expect(view.clusters[0].cluster).toEqual({ server, 'certificate-authority': '/etc/kubernetes/pki/ca.crt' });
      const identity = component === 'kubelet' ? 'kubelet' : component;
      expect(view.users[0].user).toEqual({
        'client-certificate': `/etc/kubernetes/pki/${identity}.crt`,
        'client-key': `/etc/kubernetes/pki/${identity}.key`,
      });
      expect(f.content).not.toMatch(/-data:|BEGIN/);
    });
  }
});

describe('component configuration files', () => {
  it('kubelet: x509 client CA, webhook authn/authz, no anonymous access, DNS, containerd, systemd cgroups', () => {
    const c = parseYaml(file(worker!, '/etc/kubernetes/kubelet-config.yaml').content);
    expect(c).toEqual({
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: '/etc/kubernetes/pki/ca.crt' } },
      authorization: { mode: 'Webhook' },
      cgroupDriver: 'systemd',
      clusterDNS: ['10.96.0.10'],
      clusterDomain: 'cluster.local',
      containerRuntimeEndpoint: 'unix:///run/containerd/containerd.sock',
      failCgroupV1: false,
      readOnlyPort: 0,
      tlsCertFile: '/etc/kubernetes/pki/kubelet.crt',
      tlsPrivateKeyFile: '/etc/kubernetes/pki/kubelet.key',
    });
  });

  it('kube-proxy and kube-scheduler configs carry their kubeconfig', () => {
    const proxy = parseYaml(file(worker!, '/etc/kubernetes/kube-proxy-config.yaml').content);
    expect(proxy).toMatchObject({
      kind: 'KubeProxyConfiguration',
      clientConnection: { kubeconfig: '/etc/kubernetes/kube-proxy.kubeconfig' },
      clusterCIDR: '10.244.0.0/16',
      hostnameOverride: worker!.nodeName,
    });
    const sched = parseYaml(file(master!, '/etc/kubernetes/kube-scheduler-config.yaml').content);
    expect(sched).toMatchObject({
      apiVersion: 'kubescheduler.config.k8s.io/v1',
      kind: 'KubeSchedulerConfiguration',
      clientConnection: { kubeconfig: '/etc/kubernetes/kube-scheduler.kubeconfig' },
    });
  });

  it('kube-proxy on a host marked container: true leaves nf_conntrack_max alone (maxPerCore 0); other hosts keep the default', () => {
    const raw = parseYaml(readFileSync(join(FIXTURES, 'render', 'three-hosts.yaml'), 'utf8')) as { hosts: Record<string, unknown>[] };
    const marked = planFor(loadProfile('three-hosts', { hosts: raw.hosts.map((h, i) => (i === 1 ? { ...h, container: true } : h)) }));
    const config = (i: number) => parseYaml(file(marked.hosts[i]!, '/etc/kubernetes/kube-proxy-config.yaml').content) as Record<string, unknown>;
    expect(marked.hosts[1]!.spec.container).toBe(true);
    expect(config(1).conntrack).toEqual({ maxPerCore: 0 });
    expect(config(2).conntrack).toBeUndefined();
  });

  it('flannel net-conf uses the pod CIDR and the profile backend; the CNI list uses only installed plugins', () => {
    expect(JSON.parse(file(worker!, '/etc/kube-flannel/net-conf.json').content)).toEqual({
      Network: '10.244.0.0/16',
      Backend: { Type: 'host-gw' },
    });
    const conflist = JSON.parse(file(worker!, '/etc/cni/net.d/10-flannel.conflist').content);
    const installed = worker!.binaries.filter((b) => b.path.startsWith('/opt/cni/bin/')).map((b) => b.name);
    expect(installed.sort()).toEqual([...CNI_PLUGINS, 'flannel'].sort());
    for (const p of conflist.plugins) expect(installed).toContain(p.type);
  });
});

describe('RBAC objects', () => {
  const objects = renderRbacObjects();

  it('ClusterRoles first, then their bindings, to the users kubeup issues certificates for', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ClusterRole/flannel',
      'ClusterRole/system:kube-apiserver-to-kubelet',
      'ClusterRoleBinding/flannel',
      'ClusterRoleBinding/kubeadm:cluster-admins',
      'ClusterRoleBinding/system:kube-apiserver-to-kubelet',
    ]);
    const admins = objects.find((o) => o.metadata.name === 'kubeadm:cluster-admins')!;
    expect(admins.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' });
    expect(admins.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: pkiIdentities.CLUSTER_ADMINS_GROUP }]);
    const subject = (name: string) => objects.find((o) => o.kind === 'ClusterRoleBinding' && o.metadata.name === name)!.subjects;
    expect(subject('flannel')).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: pkiIdentities.FLANNEL_USER }]);
    expect(subject('system:kube-apiserver-to-kubelet')).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: pkiIdentities.APISERVER_KUBELET_CLIENT_USER },
    ]);
  });

  it('the rules grant what each user needs and nothing on other resources', () => {
    const rules = (name: string) => objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name === name)!.rules;
    expect(rules('system:kube-apiserver-to-kubelet')).toEqual([
      { apiGroups: [''], resources: ['nodes/log', 'nodes/metrics', 'nodes/proxy', 'nodes/spec', 'nodes/stats'], verbs: ['*'] },
    ]);
    expect(rules('flannel')).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch'] },
    ]);
  });

  it('the manifest is a List the real kubectl can read offline', () => {
    const path = join(scratch, 'rbac.yaml');
    writeFileSync(path, renderRbacManifest('golden'));
    // --local: no server is contacted.
    const out = execFileSync(kubectl, ['label', '--local', '-f', path, 'check=1', '-o', 'name'], {
      encoding: 'utf8',
      env: { KUBECONFIG: '/dev/null' },
    });
    expect(out.trim().split('\n')).toEqual([
      'clusterrole.rbac.authorization.k8s.io/flannel',
      'clusterrole.rbac.authorization.k8s.io/system:kube-apiserver-to-kubelet',
      'clusterrolebinding.rbac.authorization.k8s.io/flannel',
      'clusterrolebinding.rbac.authorization.k8s.io/kubeadm:cluster-admins',
      'clusterrolebinding.rbac.authorization.k8s.io/system:kube-apiserver-to-kubelet',
    ]);
  });
});
