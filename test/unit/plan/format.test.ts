// formatPlan: the --dry-run text for kube-up's classic two-host example (ai, i). The full text is a golden file
//   test/fixtures/render/classic-plan.txt   (UPDATE_GOLDEN=1 npx vitest run test/unit/plan/format.test.ts)
// and the structure is asserted here, so a change shows up as a readable diff and as a broken rule.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assumedFacts, buildPlan, formatPlan } from '../../../src/plan/index.js';
import { FIXTURES, loadProfile } from '../render/helpers.js';

const GOLDEN = join(FIXTURES, 'render', 'classic-plan.txt');
const profile = loadProfile('classic');
const plan = buildPlan(profile, assumedFacts(profile));
const text = formatPlan(plan);
if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, text);

describe('formatPlan for the classic profile', () => {
  it('matches the golden text', () => {
    expect(existsSync(GOLDEN), `${GOLDEN} is missing: run with UPDATE_GOLDEN=1 and review`).toBe(true);
    expect(text).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('opens with the cluster and the hosts in profile order', () => {
    expect(text.split('\n').slice(0, 10)).toEqual([
      'Plan for profile classic',
      '  Kubernetes 1.35.2, etcd 3.6.14, flannel 0.28.9 (CNI plugin 1.9.0-flannel1), containerd 2.2.1, runc 1.4.0, CNI plugins 1.9.0',
      '  API server https://192.168.4.218:6443 on 192.168.4.218 (node 192.168.4.218)',
      '  services 10.96.0.0/12 (kubernetes 10.96.0.1, DNS 10.96.0.10, domain cluster.local), node ports 30000-32767',
      '  pods 10.244.0.0/16 (flannel vxlan)',
      '',
      'Hosts (profile order):',
      '  192.168.4.218  node 192.168.4.218  roles master,worker  amd64  ssh root@192.168.4.218',
      '  192.168.4.217  node 192.168.4.217  roles worker         amd64  ssh root@192.168.4.217',
      '',
    ]);
  });

  it('numbers the phases in run order, each with where it runs', () => {
    expect(text.split('\n').filter((l) => /^\d+\. /.test(l))).toEqual([
      '1. preflight: Check hosts, on 2 hosts',
      '2. download: Download releases, on this machine',
      '3. certificates: Issue certificates, on this machine',
      '4. provision: Provision hosts, on 2 hosts',
      '5. rbac: Create cluster roles, through the API of 192.168.4.218',
      '6. verify: Verify daemons, on 2 hosts',
      '7. addons: Apply cluster add-ons, through the API of 192.168.4.218',
      '8. kubeconfig: Write kubeconfig, on this machine',
      '9. validate: Validate cluster, through the API of 192.168.4.218',
    ]);
  });

  it('shows the CoreDNS add-on: pinned release, image, replicas, address, domain, and every object it applies', () => {
    expect(text).toContain('   CoreDNS v1.13.1: image registry.k8s.io/coredns/coredns:v1.13.1, 2 replicas, Service kube-dns at 10.96.0.10, domain cluster.local, upstream each node\'s /etc/resolv.conf\n');
    expect(text).toContain(['     ServiceAccount kube-system/coredns', '     ClusterRole system:coredns', '     ClusterRoleBinding system:coredns', '     ConfigMap kube-system/coredns', '     Deployment kube-system/coredns', '     Service kube-system/kube-dns'].join('\n'));
    expect(text).toContain('   CoreDNS: 2 of 2 replicas available');
    const off = formatPlan(buildPlan({ ...profile, addons: { dns: { ...profile.addons.dns, enabled: false } } }, assumedFacts(profile)));
    expect(off).toContain('   none (addons.dns.enabled is false)');
    expect(off).not.toContain('Deployment kube-system/coredns');
  });

  it('lists every file, binary and key of each host with its mode, and the units in start order', () => {
    for (const h of plan.hosts) {
      for (const f of h.files) expect(text).toMatch(new RegExp(`\\n {5}0${f.mode.toString(8)} ${f.path.replace(/[.]/g, '\\.')}[ \\n]`));
      for (const b of h.binaries) expect(text).toContain(`     0755 ${b.path} `);
      for (const c of h.certificates) if (c.key) expect(text).toContain(`     0600 ${c.key} `);
      expect(text).toContain(`     start: ${h.units.join(', ')}\n`);
    }
    expect(text).toContain('   192.168.4.217: systemctl is-active containerd.service flanneld.service kubelet.service kube-proxy.service\n');
    expect(text).toContain('   CA: kept on this machine, its key never leaves it\n');
    expect(text).not.toContain('/etc/kubernetes/pki/ca.key');
  });
});
