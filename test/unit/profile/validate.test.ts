import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { validateProfile } from '../../../src/profile/validate.js';

const base = () => ({
  name: 'lab',
  hosts: [
    { address: '192.168.4.218', user: 'root', roles: ['master', 'worker'] as unknown },
    { address: '192.168.4.217', user: 'root', roles: ['worker'] as unknown },
  ],
});

/** A base profile changed by `edit`; returns the issues. */
function issuesOf(edit: (p: ReturnType<typeof base> & Record<string, unknown>) => void) {
  const p = base() as ReturnType<typeof base> & Record<string, unknown>;
  edit(p);
  return validateProfile(p).issues;
}

function expectIssue(issues: { path: string; message: string; hint?: string }[], path: string, message: RegExp) {
  const hit = issues.find((i) => i.path === path && message.test(i.message));
  expect(hit, `expected an issue at ${path} matching ${message}, got ${JSON.stringify(issues)}`).toBeDefined();
  expect(hit!.hint, 'every issue says how to fix it').toBeTruthy();
}

describe('validateProfile', () => {
  it('accepts the classic profile and applies defaults', () => {
    const r = validateProfile(base());
    expect(r.issues).toEqual([]);
    expect(r.profile?.hosts[0]).toMatchObject({ port: 22, roles: ['master', 'worker'] });
    expect(r.profile?.network).toMatchObject({ apiServerPort: 6443, flannelBackend: 'vxlan', nodePortRange: '30000-32767' });
    expect(r.profile?.versions.kubernetes).toMatch(/^1\.35\.\d+$/);
  });

  it('takes kube-up role letters a, i, ai', () => {
    const r = validateProfile({ name: 'x', hosts: [{ address: '10.0.0.1', roles: 'a' }, { address: '10.0.0.2', roles: 'i' }] });
    expect(r.issues).toEqual([]);
    expect(r.profile!.hosts.map((h) => h.roles)).toEqual([['master'], ['worker']]);
    const both = validateProfile({ name: 'x', hosts: [{ address: '10.0.0.3', roles: 'ai' }] });
    expect(both.profile!.hosts[0]!.roles).toEqual(['master', 'worker']);
  });

  it('rejects an unknown role with the field path', () => {
    expectIssue(issuesOf((p) => (p.hosts[1]!.roles = 'x')), 'hosts[1].roles', /not valid/);
  });

  describe('addresses', () => {
    it.each(['10.1.2.3', 'fd00::12', 'node-1.example.com', 'h1'])('accepts %s', (address) => {
      expect(issuesOf((p) => (p.hosts[1]!.address = address))).toEqual([]);
    });
    it.each(['10.1.2.300', '10.1.2', 'fd00:::12', 'bad_host!', '-leading.dash'])('rejects %s', (address) => {
      expectIssue(issuesOf((p) => (p.hosts[1]!.address = address)), 'hosts[1].address', /not a valid/);
    });
  });

  it('rejects a malformed port', () => {
    expect(issuesOf((p) => Object.assign(p.hosts[1]!, { port: 2222 }))).toEqual([]);
    expectIssue(issuesOf((p) => Object.assign(p.hosts[1]!, { port: 70000 })), 'hosts[1].port', /between 1 and 65535/);
    expectIssue(issuesOf((p) => Object.assign(p.hosts[1]!, { port: '22' })), 'hosts[1].port', /must be number/);
  });

  it('rejects a duplicate host (same address and port) but accepts the same address on another port', () => {
    expect(issuesOf((p) => p.hosts.push({ address: '192.168.4.217', user: 'root', roles: ['worker'], port: 2222 } as never))).toEqual([]);
    expectIssue(issuesOf((p) => p.hosts.push({ address: '192.168.4.217', user: 'root', roles: ['worker'] })), 'hosts[2]', /duplicates hosts\[1\]/);
  });

  it('needs exactly one control-plane host and at least one worker', () => {
    expectIssue(issuesOf((p) => (p.hosts[0]!.roles = ['worker'])), 'hosts', /no host has the master/);
    expectIssue(issuesOf((p) => (p.hosts[1]!.roles = ['master'])), 'hosts', /HA|highly available/);
    expectIssue(
      issuesOf((p) => {
        p.hosts[0]!.roles = ['master'];
        p.hosts.pop();
      }),
      'hosts',
      /no host has the worker role/,
    );
  });

  it('rejects malformed CIDRs and host bits', () => {
    expect(issuesOf((p) => (p.network = { serviceCidr: '10.32.0.0/16', clusterDns: '10.32.0.10' }))).toEqual([]);
    expectIssue(issuesOf((p) => (p.network = { serviceCidr: '10.32.0.0/33' })), 'network.serviceCidr', /not a CIDR/);
    expectIssue(issuesOf((p) => (p.network = { podCidr: '10.244.1.0/16' })), 'network.podCidr', /host bits/);
  });

  // Seen: `10.244.0/16` passed and was written into flanneld's and the controller manager's config; `10.244/16` got
  // "host bits set". Each is refused with the field, the value and the form expected.
  it.each([
    ['10.244.0/16', /^"10\.244\.0\/16" is not a CIDR: its address is not a valid IPv4 address: write four decimal numbers/],
    ['10.244/16', /^"10\.244\/16" is not a CIDR: its address is not a valid IPv4 address/],
    ['10.244.00.0/16', /is not a valid IPv4 address/],
    ['10.244.0.0/016', /write ADDRESS\/BITS/],
    ['10.244.0.0', /write ADDRESS\/BITS/],
    ['10.244.0.0/16 ', /write ADDRESS\/BITS/],
    ['FD00:10:244::/56', /not in canonical form: write it as fd00:10:244::/],
    ['0x0a.244.0.0/16', /is not a valid IPv4 address/],
  ])('refuses the pod CIDR %s, saying what to write', (podCidr, message) => {
    const issues = issuesOf((p) => (p.network = { podCidr }));
    expectIssue(issues, 'network.podCidr', message);
    expect(issues.find((i) => i.path === 'network.podCidr')!.message).toContain(podCidr);
  });

  it.each([['10.96.10', /not a valid IPv4 address: write four decimal numbers/], ['010.96.0.10', /not a valid IPv4 address/]])(
    'refuses the cluster DNS address %s in short or padded form',
    (clusterDns, message) => expectIssue(issuesOf((p) => (p.network = { clusterDns })), 'network.clusterDns', message),
  );

  it.each(['10.1.2', '10.258', '1.2.3.04', 'FD00::12', 'fe80::1%eth0'])('refuses the host address %s', (address) => {
    expectIssue(issuesOf((p) => (p.hosts[1]!.address = address)), 'hosts[1].address', /not a valid|canonical form/);
  });

  it('needs a pod network with a /24 for every worker', () => {
    expect(issuesOf((p) => (p.network = { podCidr: '10.244.0.0/23' }))).toEqual([]);
    expectIssue(issuesOf((p) => (p.network = { podCidr: '10.244.0.0/24' })), 'network.podCidr', /holds 1 for 2 workers/);
    expectIssue(issuesOf((p) => (p.network = { podCidr: '10.244.0.0/25' })), 'network.podCidr', /holds none/);
  });

  it('suggests a pod CIDR size that fits the workers, not always a /16', () => {
    const hint = (podCidr: string, workers: number) =>
      validateProfile({ name: 'lab', hosts: Array.from({ length: workers }, (_, i) => ({ address: `192.168.4.${i + 1}`, roles: i === 0 ? 'ai' : 'i' })), network: { podCidr } }).issues.find(
        (i) => i.path === 'network.podCidr',
      )?.hint;
    expect(hint('10.244.0.0/24', 2)).toBe('use a /23 or larger, e.g. 10.244.0.0/23 (room for 2 nodes)');
    expect(hint('10.244.4.0/24', 5)).toBe('use a /21 or larger, e.g. 10.244.0.0/21 (room for 8 nodes)');
    expect(hint('10.244.0.0/25', 1)).toBe('use a /24 or larger, e.g. 10.244.0.0/24 (room for 1 node)');
  });

  it('rejects overlapping service and pod CIDRs', () => {
    expectIssue(issuesOf((p) => (p.network = { podCidr: '10.96.0.0/16' })), 'network.podCidr', /overlaps the service CIDR/);
  });

  it('rejects a CIDR that contains a host address', () => {
    expectIssue(issuesOf((p) => (p.network = { podCidr: '192.168.0.0/16' })), 'network.podCidr', /contains the address of hosts\[0\]/);
    expectIssue(
      issuesOf((p) => (p.network = { serviceCidr: '192.168.4.0/24', clusterDns: '192.168.4.10' })),
      'network.serviceCidr',
      /contains the address of hosts\[0\]/,
    );
  });

  it('requires the DNS IP inside the service CIDR and not its first address', () => {
    expectIssue(issuesOf((p) => (p.network = { clusterDns: '10.200.0.10' })), 'network.clusterDns', /outside the service CIDR/);
    expectIssue(issuesOf((p) => (p.network = { clusterDns: '10.96.0.1' })), 'network.clusterDns', /first address/);
    expect(issuesOf((p) => (p.network = { clusterDns: '10.96.0.2' }))).toEqual([]);
  });

  it('rejects a malformed node port range', () => {
    expect(issuesOf((p) => (p.network = { nodePortRange: '31000-31999' }))).toEqual([]);
    for (const bad of ['30000', '32767-30000', '0-100', '30000-70000', 'a-b']) {
      expectIssue(issuesOf((p) => (p.network = { nodePortRange: bad })), 'network.nodePortRange', /not a port range/);
    }
  });

  it('rejects a profile name that is not safe as a file name', () => {
    for (const bad of ['../etc', 'a/b', '', '.hidden', 'a b', 'x'.repeat(64)]) {
      expectIssue(issuesOf((p) => (p.name = bad)), 'name', /not safe as a file name/);
    }
    expect(issuesOf((p) => (p.name = 'lab_2-east'))).toEqual([]);
  });

  it('rejects versions that are malformed or out of range', () => {
    expectIssue(issuesOf((p) => (p.versions = { kubernetes: '1.35' })), 'versions.kubernetes', /not a version/);
    expectIssue(issuesOf((p) => (p.versions = { kubernetes: '1.2.0' })), 'versions.kubernetes', /not supported/);
    expectIssue(issuesOf((p) => (p.versions = { etcd: '2.3.1' })), 'versions.etcd', /too old/);
    expectIssue(issuesOf((p) => (p.versions = { flannel: '0.5.5' })), 'versions.flannel', /too old/);
    expect(validateProfile({ ...base(), versions: { kubernetes: 'v1.34.5' } }).profile?.versions.kubernetes).toBe('1.34.5');
  });

  it('rejects unknown fields, naming them', () => {
    expectIssue(issuesOf((p) => (p.netwrok = {})), '', /unknown field netwrok/);
    expectIssue(issuesOf((p) => Object.assign(p.hosts[0]!, { adress: 'x' })), 'hosts[0]', /unknown field adress/);
  });

  it('checks jump host, pinned keys and node names', () => {
    expect(issuesOf((p) => (p.ssh = { jumpHost: 'admin@bastion:2200' }))).toEqual([]);
    expectIssue(issuesOf((p) => (p.ssh = { jumpHost: 'admin@bastion:port' })), 'ssh.jumpHost', /user@host:port/);
    expectIssue(issuesOf((p) => Object.assign(p.hosts[0]!, { hostKey: 'MD5:aa:bb' })), 'hosts[0].hostKey', /not a SHA256/);
    expectIssue(issuesOf((p) => Object.assign(p.hosts[0]!, { nodeName: 'Node_1' })), 'hosts[0].nodeName', /not a valid node name/);
    expectIssue(
      issuesOf((p) => {
        Object.assign(p.hosts[0]!, { nodeName: 'n1' });
        Object.assign(p.hosts[1]!, { nodeName: 'n1' });
      }),
      'hosts[1].nodeName',
      /already the node name/,
    );
  });

  it('checks extra daemon flags', () => {
    expect(issuesOf((p) => (p.extraArgs = { kubelet: ['--v=4', '--max-pods=50'], 'kube-proxy': ['--masquerade-all'] }))).toEqual([]);
    expectIssue(issuesOf((p) => (p.extraArgs = { kubelet: ['--v=4', 'max-pods 50'] })), 'extraArgs.kubelet[1]', /not a flag kubeup can pass/);
    expectIssue(issuesOf((p) => (p.extraArgs = { kubelet: ['--node-labels=$(hostname)'] })), 'extraArgs.kubelet[0]', /not a flag/);
    expectIssue(issuesOf((p) => (p.audit = { logPath: 'audit.log' })), 'audit.logPath', /not a file path kubeup can give the API server/);
    expectIssue(issuesOf((p) => (p.audit = { logPath: '/var/log/../etc/passwd' })), 'audit.logPath', /not a file path/);
    expectIssue(issuesOf((p) => (p.extraArgs = { dockerd: ['--x'] })), 'extraArgs', /unknown field dockerd/);
  });

  it('takes the DNS add-on on by default, with kubeadm\'s replicas and registry', () => {
    expect(validateProfile(base()).profile!.addons).toEqual({ dns: { enabled: true, replicas: 2, imageRepository: 'registry.k8s.io', upstreamResolvers: [] } });
    const r = validateProfile({ ...base(), addons: { dns: { replicas: 3, imageRepository: 'registry.example.com:5000/k8s', upstreamResolvers: ['192.0.2.53', '192.0.2.54:5353', '2001:db8::53', '[2001:db8::54]:53'] } } });
    expect(r.issues).toEqual([]);
    expect(r.profile!.addons.dns).toEqual({ enabled: true, replicas: 3, imageRepository: 'registry.example.com:5000/k8s', upstreamResolvers: ['192.0.2.53', '192.0.2.54:5353', '2001:db8::53', '[2001:db8::54]:53'] });
    expect(validateProfile({ ...base(), addons: { dns: { enabled: false } } }).profile!.addons.dns.enabled).toBe(false);
  });

  it('checks the DNS add-on settings at their field', () => {
    expectIssue(issuesOf((p) => (p.addons = { dns: { replicas: 0 } })), 'addons.dns.replicas', /not a number of CoreDNS replicas/);
    expectIssue(issuesOf((p) => (p.addons = { dns: { replicas: 1.5 } })), 'addons.dns.replicas', /integer/);
    expectIssue(issuesOf((p) => (p.addons = { dns: { replicas: '2' } })), 'addons.dns.replicas', /must be number/);
    expectIssue(issuesOf((p) => (p.addons = { dns: { imageRepository: 'https://registry.example.com' } })), 'addons.dns.imageRepository', /URL scheme/);
    expectIssue(issuesOf((p) => (p.addons = { dns: { imageRepository: 'registry.example.com/K8s' } })), 'addons.dns.imageRepository', /not an image repository/);
    expectIssue(issuesOf((p) => (p.addons = { dns: { imageRepository: 'registry.example.com/coredns:v1' } })), 'addons.dns.imageRepository', /not an image repository/);
    expectIssue(issuesOf((p) => (p.addons = { dns: { upstreamResolvers: ['dns.example.com'] } })), 'addons.dns.upstreamResolvers[0]', /not a resolver address/);
    expectIssue(issuesOf((p) => (p.addons = { dns: { upstreamResolvers: ['192.0.2.53:0'] } })), 'addons.dns.upstreamResolvers[0]', /not a resolver address/);
    expectIssue(issuesOf((p) => (p.addons = { dns: { upstreamResolvers: ['192.0.2.53', '192.0.2.53'] } })), 'addons.dns.upstreamResolvers[1]', /listed twice/);
    expectIssue(issuesOf((p) => (p.addons = { dns: { replica: 2 } })), 'addons.dns', /unknown field replica/);
    expectIssue(issuesOf((p) => (p.addons = { dashboard: {} })), 'addons', /unknown field dashboard/);
  });

  it('needs some way to log in', () => {
    expectIssue(issuesOf((p) => (p.ssh = { agent: false })), 'ssh', /no way to log in/);
    expect(issuesOf((p) => (p.ssh = { agent: false, password: true }))).toEqual([]);
  });

  it('never accepts a profile with issues (property)', () => {
    const cidr = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 8, max: 30 })).map(([a, b, n]) => `10.${a}.${b}.0/${n}`);
    fc.assert(
      fc.property(cidr, cidr, (serviceCidr, podCidr) => {
        const r = validateProfile({ ...base(), network: { serviceCidr, podCidr, clusterDns: '10.0.0.10' } });
        // Either a profile and no issues, or issues and no profile.
        expect(Boolean(r.profile)).toBe(r.issues.length === 0);
      }),
      { numRuns: 200 },
    );
  });
});
