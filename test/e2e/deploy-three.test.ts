// kubeup up / re-run / down on three real hosts (roles ai, i, i), with the release mirror and the stand-ins; the
// CoreDNS add-on at a DNS address and domain of the profile's own (not the defaults), through the same deploy.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHosts, type TestCluster } from '../harness/hosts/index.js';
import { startMirror, type Mirror } from '../harness/mirror/index.js';
import { describeWithHosts } from '../harness/skip.js';
import { stringify } from 'yaml';
import { e2eProfile, kubectl, onHost, runCli, writeProfile, type CliRun } from './helpers.js';

const MASTER_UNITS = ['etcd.service', 'kube-apiserver.service', 'kube-controller-manager.service', 'kube-scheduler.service'];
const WORKER_UNITS = ['containerd.service', 'flanneld.service', 'kube-proxy.service', 'kubelet.service'];
const DNS = { clusterDns: '10.96.0.53', dnsDomain: 'e2e3.lab' };
const DNS_OBJECTS = [
  ['serviceaccount', 'kube-system', 'coredns'],
  ['clusterrole', '', 'system:coredns'],
  ['clusterrolebinding', '', 'system:coredns'],
  ['configmap', 'kube-system', 'coredns'],
  ['deployment', 'kube-system', 'coredns'],
  ['service', 'kube-system', 'kube-dns'],
] as const;
const KUBEUP_UNIT_GLOBS = ['etcd.service', 'kube-*.service', 'kubelet.service', 'containerd.service', 'flanneld.service'];

describeWithHosts('kubeup up on three hosts (ai, i, i)', () => {
  let cluster: TestCluster;
  let mirror: Mirror;
  let dir: string;
  let env: Record<string, string>;
  let profileFile: string;
  let first: CliRun;

  const activeUnits = (i: number) =>
    onHost(cluster, i, `systemctl list-units --type=service --state=active --no-legend --plain ${KUBEUP_UNIT_GLOBS.join(' ')} | awk '{print $1}' | sort`)
      .split('\n')
      .filter(Boolean);
  const startTimes = (i: number) => onHost(cluster, i, `systemctl show -p ActiveEnterTimestampMonotonic --value ${[...MASTER_UNITS, ...WORKER_UNITS].join(' ')}`);
  const k = (...args: string[]) => kubectl(env.KUBECONFIG!, ['--context', 'e2e3', ...args]);
  const resourceVersions = () => DNS_OBJECTS.map(([kind, ns, name]) => k(...(ns ? ['-n', ns] : []), 'get', kind, name, '-o', 'jsonpath={.metadata.resourceVersion}'));
  const summaryOf = (run: CliRun) => JSON.parse(readFileSync(/Summary: (.*)summary\.txt/.exec(run.out)![1] + 'summary.json', 'utf8'));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeup-e2e3-'));
    [cluster, mirror] = await Promise.all([startHosts({ count: 3 }), startMirror()]);
    env = { HOME: dir, KUBEUP_CONFIG_DIR: join(dir, 'config'), KUBEUP_STATE_DIR: join(dir, 'state'), KUBECONFIG: join(dir, 'kubeconfig') };
    profileFile = writeProfile(dir, e2eProfile('e2e3', cluster, mirror, ['ai', 'i', 'i'], join(dir, 'cache'), { network: DNS }));
    first = await runCli(['up', '--file', profileFile, '--yes'], env);
  });
  afterAll(async () => {
    await Promise.allSettled([cluster?.stop(), mirror?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('passes validation and prints the cluster', () => {
    expect(first.code, `${first.out}\n${first.err}`).toBe(0);
    expect(first.out).toMatch(/Cluster validation succeeded/);
    expect(first.out).toMatch(/Kubeconfig: .*kubeconfig \(context e2e3\)/);
  });

  it('a real kubectl with the written kubeconfig lists three Ready nodes', () => {
    const out = kubectl(env.KUBECONFIG!, ['--context', 'e2e3', 'get', 'nodes', '--no-headers']);
    const rows = out.trim().split('\n').map((l) => l.trim().split(/\s+/));
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r[1]).toBe('Ready');
    expect(rows.map((r) => r[2]).sort()).toEqual(['control-plane,worker', 'worker', 'worker']);
    expect(kubectl(env.KUBECONFIG!, ['get', 'componentstatuses', '--no-headers'])).not.toMatch(/Unhealthy/);
  });

  it('CoreDNS: a real kubectl sees the kube-dns Service at the profile\'s address, the Deployment, and the Corefile with its domain', () => {
    expect(k('-n', 'kube-system', 'get', 'service', 'kube-dns', '-o', 'jsonpath={.spec.clusterIP} {.spec.ports[*].name}')).toBe('10.96.0.53 dns dns-tcp metrics');
    expect(k('-n', 'kube-system', 'get', 'deployment', 'coredns', '-o', 'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image} {.spec.template.spec.priorityClassName}')).toBe(
      '2 registry.k8s.io/coredns/coredns:v1.13.1 system-cluster-critical',
    );
    expect(k('-n', 'kube-system', 'get', 'deployment', 'coredns', '--no-headers')).toMatch(/^coredns\s+0\/2\s+0\s+0\s/);
    const corefile = k('-n', 'kube-system', 'get', 'configmap', 'coredns', '-o', 'jsonpath={.data.Corefile}');
    expect(corefile).toContain('kubernetes e2e3.lab in-addr.arpa ip6.arpa {');
    // Applied server-side by kubeup's own field manager
    expect(k('-n', 'kube-system', 'get', 'deployment', 'coredns', '--show-managed-fields', '-o', 'jsonpath={.metadata.managedFields[*].manager}/{.metadata.managedFields[*].operation}')).toBe('kubeup/Apply');
    for (const i of [0, 1, 2]) {
      const config = onHost(cluster, i, 'cat /etc/kubernetes/kubelet-config.yaml');
      expect(config, `kubelet config on ${cluster.hosts[i]!.name}`).toMatch(/clusterDNS:\n\s*- 10\.96\.0\.53\n/);
      expect(config).toMatch(/clusterDomain: e2e3\.lab\n/);
    }
  });

  it('CoreDNS cannot run here: the run says why (from the API) and does not claim DNS works, with exit 0', () => {
    expect(first.err).toMatch(/warning: CoreDNS: 0 of 2 ready, NOT available: the Deployment has no status: no deployment controller \(kube-controller-manager\) has acted on it/);
    expect(first.out).toMatch(/CoreDNS: 0 of 2 ready \(the Deployment has no status/);
    expect(first.out).toMatch(/but cluster DNS is not available/);
    expect(first.out).not.toMatch(/^Cluster validation succeeded\. /m);
  });

  it('each host runs exactly the units its roles need', () => {
    expect(activeUnits(0)).toEqual([...MASTER_UNITS, ...WORKER_UNITS].sort());
    expect(activeUnits(1)).toEqual([...WORKER_UNITS].sort());
    expect(activeUnits(2)).toEqual([...WORKER_UNITS].sort());
  });

  it('keeps private keys at mode 0600 on the hosts and on this machine', () => {
    const modes = onHost(cluster, 0, 'stat -c "%a %n" /etc/kubernetes/pki/*.key').trim().split('\n');
    expect(modes.length).toBeGreaterThanOrEqual(7);
    for (const m of modes) expect(m).toMatch(/^600 /);
    expect(onHost(cluster, 1, 'stat -c "%a" /etc/kubernetes/pki/kubelet.key').trim()).toBe('600');
    for (const f of ['ca.key', 'admin.key', 'service-account.key']) {
      expect(statSync(join(env.KUBEUP_STATE_DIR!, 'clusters/e2e3/pki', f)).mode & 0o777).toBe(0o600);
    }
  });

  it('a re-run changes nothing: no upload, no restart, no add-on object written', async () => {
    const before = [0, 1, 2].map(startTimes);
    const versions = resourceVersions();
    const again = await runCli(['up', '--file', profileFile, '--yes'], env);
    expect(again.code, `${again.out}\n${again.err}`).toBe(0);
    const summary = summaryOf(again);
    for (const h of Object.values(summary.hosts) as { record: { filesChanged: string[]; bytesUploaded: number; unitsRestarted: string[]; unitsStarted: string[] } }[]) {
      expect(h.record.filesChanged).toEqual([]);
      expect(h.record.bytesUploaded).toBe(0);
      expect(h.record.unitsRestarted).toEqual([]);
      expect(h.record.unitsStarted).toEqual([]);
    }
    expect(again.out).toMatch(/up to date, nothing changed/);
    expect(again.out).toContain('Cluster add-ons: CoreDNS v1.13.1 at 10.96.0.53: up to date, nothing changed');
    expect([0, 1, 2].map(startTimes)).toEqual(before);
    expect(resourceVersions()).toEqual(versions);
  });

  it('kubeup addons apply: a changed setting is applied, a user\'s own edit survives', async () => {
    k('-n', 'kube-system', 'annotate', 'deployment', 'coredns', 'example.com/owner=ops');
    const three = join(dir, 'e2e3-replicas.yaml');
    const profile = { ...e2eProfile('e2e3', cluster, mirror, ['ai', 'i', 'i'], join(dir, 'cache'), { network: DNS }), addons: { dns: { replicas: 3 } } };
    writeFileSync(three, stringify(profile));
    const r = await runCli(['addons', 'apply', '--file', three], env);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(r.out).toContain('Cluster add-ons: CoreDNS v1.13.1 at 10.96.0.53: Deployment kube-system/coredns updated');
    expect(r.err).toMatch(/warning: CoreDNS: 0 of 3 ready, NOT available/);
    expect(k('-n', 'kube-system', 'get', 'deployment', 'coredns', '-o', 'jsonpath={.spec.replicas} {.metadata.annotations.example\\.com/owner}')).toBe('3 ops');
    const back = await runCli(['addons', 'apply', '--file', profileFile], env);
    expect(back.code, `${back.out}\n${back.err}`).toBe(0);
    expect(k('-n', 'kube-system', 'get', 'deployment', 'coredns', '-o', 'jsonpath={.spec.replicas} {.metadata.annotations.example\\.com/owner}')).toBe('2 ops');
  });

  it('kubeup down leaves no kubeup file or unit behind, and drops the context', async () => {
    const down = await runCli(['down', '--file', profileFile, '--yes'], env);
    expect(down.code, `${down.out}\n${down.err}`).toBe(0);
    expect(down.out).toContain('Deleted 6 add-on objects through the API: Service kube-system/kube-dns, Deployment kube-system/coredns, ConfigMap kube-system/coredns, ClusterRoleBinding system:coredns, ClusterRole system:coredns, ServiceAccount kube-system/coredns.');
    for (const i of [0, 1, 2]) {
      expect(activeUnits(i)).toEqual([]);
      const left = onHost(
        cluster,
        i,
        'ls -d /etc/systemd/system/etcd.service /etc/systemd/system/kube*.service /etc/systemd/system/containerd.service /etc/systemd/system/flanneld.service /etc/default/kube* /etc/default/etcd /etc/default/flanneld /etc/default/containerd /opt/bin /opt/cni /etc/kubernetes /etc/cni /etc/kube-flannel /etc/containerd /var/lib/etcd /var/lib/kubelet /run/flannel /etc/modules-load.d/kubeup.conf /etc/sysctl.d/99-kubeup.conf 2>/dev/null; true',
      );
      expect(left.trim(), `left on ${cluster.hosts[i]!.name}`).toBe('');
    }
    expect(readFileSync(env.KUBECONFIG!, 'utf8')).not.toMatch(/e2e3/);
  });
});
