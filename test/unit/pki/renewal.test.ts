// `kubeup certs renew` as data: which leaves, which files and restarts per host, and how each is proven in use.
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../../src/plan/index.js';
import { identityInputFromPlan } from '../../../src/pki/from-plan.js';
import { clusterIdentities } from '../../../src/pki/identities.js';
import { renewalPlan, renewIdentities } from '../../../src/pki/renewal.js';
import { UsageError } from '../../../src/errors.js';
import { loadProfile, realisticFacts } from '../render/helpers.js';

const profile = loadProfile('three-hosts');
const plan = buildPlan(profile, realisticFacts(profile));
const identities = clusterIdentities(identityInputFromPlan(plan));
const [master, workerB, worker3] = plan.hosts;

describe('renewIdentities', () => {
  it('is every leaf by default, never a CA', () => {
    const all = renewIdentities(identities, undefined);
    expect(all).toEqual(identities.map((i) => i.name).filter((n) => !['ca', 'etcd-ca', 'front-proxy-ca'].includes(n)).sort());
    expect(all).toContain('kube-apiserver');
    expect(all).toContain('kubelet-worker-b');
    expect(all).not.toContain('ca');
  });

  it('takes --only names (repeated or comma-separated); kubelet means every node', () => {
    expect(renewIdentities(identities, ['kube-apiserver', 'etcd-server,admin'])).toEqual(['admin', 'etcd-server', 'kube-apiserver']);
    expect(renewIdentities(identities, ['kubelet'])).toEqual(['kubelet-host-1', 'kubelet-host-3', 'kubelet-worker-b']);
  });

  it('refuses a CA and an unknown name, naming what can be used', () => {
    expect(() => renewIdentities(identities, ['etcd-ca'])).toThrow(/certificate authority.*leaf certificates only/);
    let e: unknown;
    try {
      renewIdentities(identities, ['kube-apiserver', 'apiserver']);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).message).toBe('--only: no certificate named apiserver in this cluster');
    expect((e as UsageError).hint).toContain('kubelet (every node\'s), admin,');
  });
});

describe('renewalPlan', () => {
  it('the API server certificate: only the master, only kube-apiserver restarts, proven by its TLS serial on the API port', () => {
    const r = renewalPlan(plan, ['kube-apiserver']);
    expect(r.hosts).toEqual([{ id: master!.id, files: ['/etc/kubernetes/pki/kube-apiserver.crt', '/etc/kubernetes/pki/kube-apiserver.key'], restarts: ['kube-apiserver.service'] }]);
    expect(r.proofs).toEqual([{ identity: 'kube-apiserver', kind: 'tls', host: master!.id, address: master!.address, port: plan.cluster.apiServer.port, onHost: false, unit: 'kube-apiserver.service' }]);
  });

  it('one node\'s kubelet: only that node, only its kubelet; its serving cert over TLS on 10250 and its client cert by its Lease', () => {
    const r = renewalPlan(plan, ['kubelet-worker-b']);
    expect(r.hosts).toEqual([{ id: workerB!.id, files: ['/etc/kubernetes/pki/kubelet.crt', '/etc/kubernetes/pki/kubelet.key'], restarts: ['kubelet.service'] }]);
    expect(r.proofs).toEqual([
      { identity: 'kubelet-worker-b', kind: 'tls', host: workerB!.id, address: workerB!.address, port: 10250, onHost: false, unit: 'kubelet.service' },
      { identity: 'kubelet-worker-b', kind: 'lease', host: workerB!.id, namespace: 'kube-node-lease', name: 'worker-b', unit: 'kubelet.service' },
    ]);
  });

  it('etcd: server and peer restart etcd only and are checked from the master\'s loopback; the API server\'s etcd client restarts only the API server', () => {
    const r = renewalPlan(plan, ['etcd-server', 'etcd-peer', 'apiserver-etcd-client']);
    expect(r.hosts).toEqual([
      {
        id: master!.id,
        files: ['/etc/kubernetes/pki/apiserver-etcd-client.crt', '/etc/kubernetes/pki/apiserver-etcd-client.key', '/etc/kubernetes/pki/etcd/peer.crt', '/etc/kubernetes/pki/etcd/peer.key', '/etc/kubernetes/pki/etcd/server.crt', '/etc/kubernetes/pki/etcd/server.key'],
        restarts: ['etcd.service', 'kube-apiserver.service'],
      },
    ]);
    expect(r.proofs.map((p) => [p.identity, p.kind, 'port' in p ? `${p.address}:${p.port}` : '', 'onHost' in p ? p.onHost : ''])).toEqual([
      ['apiserver-etcd-client', 'api', '', ''],
      ['etcd-peer', 'tls', '127.0.0.1:2380', true],
      ['etcd-server', 'tls', '127.0.0.1:2379', true],
    ]);
  });

  it('kube-proxy and flannel go to every worker and restart only their own unit; said to be unobserved', () => {
    const r = renewalPlan(plan, ['flannel', 'kube-proxy']);
    expect(r.hosts.map((h) => [h.id, h.restarts])).toEqual([master, workerB, worker3].map((h) => [h!.id, ['flanneld.service', 'kube-proxy.service']]));
    expect(r.proofs.map((p) => p.kind)).toEqual(['unobserved', 'unobserved']);
  });

  it('admin and super-admin stay on this machine: no host changes, kubeup proves them with its own calls', () => {
    const r = renewalPlan(plan, ['admin', 'super-admin']);
    expect(r.hosts).toEqual([]);
    expect(r.proofs.map((p) => (p.kind === 'api' ? p.check : p.kind))).toEqual(['admin-nodes', 'super-admin-readyz']);
  });

  it('everything: every host restarts exactly the units that read a leaf, never containerd; every leaf has a proof', () => {
    const all = renewIdentities(identities, undefined);
    const r = renewalPlan(plan, all);
    expect(r.hosts.find((h) => h.id === master!.id)!.restarts).toEqual(['etcd.service', 'flanneld.service', 'kube-apiserver.service', 'kube-controller-manager.service', 'kube-proxy.service', 'kube-scheduler.service', 'kubelet.service']);
    expect(r.hosts.find((h) => h.id === workerB!.id)!.restarts).toEqual(['flanneld.service', 'kube-proxy.service', 'kubelet.service']);
    expect([...new Set(r.proofs.map((p) => p.identity))].sort()).toEqual(all);
    // No CA, service-account or encryption file is touched.
    expect(r.hosts.flatMap((h) => h.files).filter((f) => /ca\.crt|service-account|encryption/.test(f))).toEqual([]);
  });
});
