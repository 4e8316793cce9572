import { describe, expect, it } from 'vitest';
import { apiServerUrl, clusterIdentities, type Identity } from '../../../src/pki/identities.js';
import { PkiError } from '../../../src/pki/errors.js';
import { threeHostInput } from './helpers.js';

const byName = (ids: Identity[]) => new Map(ids.map((i) => [i.name, i]));

describe('clusterIdentities', () => {
  it('lists every identity of a 3-host cluster, sorted by name', () => {
    const ids = clusterIdentities(threeHostInput());
    expect(ids.map((i) => i.name)).toEqual([
      'admin',
      'apiserver-etcd-client',
      'apiserver-kubelet-client',
      'etcd-healthcheck-client',
      'etcd-peer',
      'etcd-server',
      'flannel',
      'front-proxy-client',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-proxy',
      'kube-scheduler',
      'kubelet-cp1',
      'kubelet-w1',
      'kubelet-w2',
      'super-admin',
    ]);
  });

  it('has etcd\'s CA sign etcd\'s certificates and the API server\'s etcd client, and nothing else', () => {
    const ids = clusterIdentities(threeHostInput());
    const by = (ca: string) => ids.filter((i) => i.ca === ca).map((i) => i.name);
    expect(by('etcd-ca')).toEqual(['apiserver-etcd-client', 'etcd-healthcheck-client', 'etcd-peer', 'etcd-server']);
    expect(by('front-proxy-ca')).toEqual(['front-proxy-client']);
    expect(by('ca')).not.toContain('etcd-server');
    expect(ids.filter((i) => i.name.startsWith('kubelet-')).every((i) => i.ca === 'ca')).toBe(true);
  });

  it('keeps system:masters to the break-glass identity: the admin is in a group RBAC binds', () => {
    const ids = byName(clusterIdentities(threeHostInput()));
    expect(ids.get('admin')!.o).toEqual(['kubeadm:cluster-admins']);
    expect([...ids.values()].filter((i) => i.o?.includes('system:masters')).map((i) => i.name)).toEqual(['super-admin']);
  });

  it('gives each identity its CN, O, SANs and usages', () => {
    const ids = byName(clusterIdentities(threeHostInput()));
    expect(ids.get('kube-apiserver')).toEqual({
      name: 'kube-apiserver',
      cn: 'kube-apiserver',
      sans: {
        dns: ['cp1', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost'],
        ip: ['10.0.0.10', '10.96.0.1', '127.0.0.1'],
      },
      usages: ['server'],
      ca: 'ca',
    });
    expect(ids.get('etcd-server')).toEqual({
      name: 'etcd-server',
      cn: 'cp1',
      sans: { dns: ['cp1', 'localhost'], ip: ['10.0.0.10', '127.0.0.1', '::1'] },
      usages: ['client', 'server'],
      ca: 'etcd-ca',
    });
    expect(ids.get('kubelet-w2')).toEqual({
      name: 'kubelet-w2',
      cn: 'system:node:w2',
      o: ['system:nodes'],
      sans: { dns: ['w2'], ip: ['10.0.0.12'] },
      usages: ['client', 'server'],
      ca: 'ca',
    });
    expect(ids.get('admin')).toMatchObject({ cn: 'kubeup-admin', o: ['kubeadm:cluster-admins'], usages: ['client'] });
    const clientOnly = Object.fromEntries(
      ['apiserver-etcd-client', 'apiserver-kubelet-client', 'flannel', 'kube-controller-manager', 'kube-proxy', 'kube-scheduler'].map((n) => {
        const id = ids.get(n)!;
        expect(id.usages).toEqual(['client']);
        expect(id.sans).toEqual({ dns: [], ip: [] });
        expect(id.o).toBeUndefined();
        return [n, id.cn];
      }),
    );
    expect(clientOnly).toEqual({
      'apiserver-etcd-client': 'kube-apiserver-etcd-client',
      'apiserver-kubelet-client': 'kube-apiserver-kubelet-client',
      flannel: 'system:flannel',
      'kube-controller-manager': 'system:kube-controller-manager',
      'kube-proxy': 'system:kube-proxy',
      'kube-scheduler': 'system:kube-scheduler',
    });
  });

  it('is deterministic whatever the order of the nodes', () => {
    const a = threeHostInput();
    const b = { ...a, nodes: [...a.nodes].reverse() };
    expect(clusterIdentities(b)).toEqual(clusterIdentities(a));
  });

  it('takes the first address of the service CIDR and the DNS domain for the API server', () => {
    const ids = byName(clusterIdentities({ ...threeHostInput(), serviceCidr: '172.20.0.0/16', dnsDomain: 'corp.example.' }));
    const api = ids.get('kube-apiserver')!;
    expect(api.sans.ip).toContain('172.20.0.1');
    expect(api.sans.dns).toContain('kubernetes.default.svc.corp.example');
  });

  it('puts host names in DNS SANs and normalizes IPv6 addresses', () => {
    const ids = byName(
      clusterIdentities({
        ...threeHostInput(),
        masterAddress: 'CP.Example.org',
        serviceCidr: 'fd00:96::/108',
        nodes: [{ nodeName: 'w1', address: 'fd00:0:0:0::11' }],
      }),
    );
    expect(ids.get('kube-apiserver')!.sans).toEqual({
      dns: ['cp.example.org', 'cp1', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost'],
      ip: ['127.0.0.1', 'fd00:96::1'],
    });
    expect(ids.get('kubelet-w1')!.sans).toEqual({ dns: ['w1'], ip: ['fd00::11'] });
    expect(apiServerUrl({ masterAddress: 'fd00::10', apiServerPort: 6443 })).toBe('https://[fd00::10]:6443');
  });

  it('has no kubelet identities when no host is a worker', () => {
    const ids = clusterIdentities({ ...threeHostInput(), nodes: [] });
    expect(ids.filter((i) => i.name.startsWith('kubelet-'))).toEqual([]);
  });

  it('rejects node names that cannot be file names or Kubernetes node names', () => {
    const bad = { ...threeHostInput(), nodes: [{ nodeName: '../etc', address: '10.0.0.11' }] };
    expect(() => clusterIdentities(bad)).toThrow(PkiError);
    expect(() => clusterIdentities(bad)).toThrow(/"\.\.\/etc" is not a valid node name/);
  });

  it('rejects two nodes with the same name', () => {
    const dup = { ...threeHostInput(), nodes: [{ nodeName: 'w1', address: '10.0.0.11' }, { nodeName: 'w1', address: '10.0.0.12' }] };
    expect(() => clusterIdentities(dup)).toThrow(/two hosts have the node name "w1"/);
  });

  it('rejects a service CIDR that is not a network', () => {
    try {
      clusterIdentities({ ...threeHostInput(), serviceCidr: '10.96.0.1/12' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PkiError);
      expect((err as PkiError).field).toBe('network.serviceCidr');
    }
  });
});
