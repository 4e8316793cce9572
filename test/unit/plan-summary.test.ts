// What the question before a deploy says: the hosts one per line with their roles in words, and what will change,
// summed up from day2's plan diff (the one `kubeup plan` prints in full).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClusterDiff, HostDiff } from '../../src/plan/diff.js';
import { readProfileFile } from '../../src/profile/yaml.js';
import { planSummary } from '../../src/tasks/plan-summary.js';

const profile = readProfileFile(join(import.meta.dirname, '../../profiles/three-hosts.yaml'));
const host = (id: string, nodeName: string, over: Partial<HostDiff> = {}): HostDiff => ({ id, nodeName, action: 'unchanged', files: [], unitsRestart: [], unitsStart: [], ...over });
const diffOf = (...hosts: HostDiff[]): ClusterDiff => ({ profile: 'three-hosts', hosts });
const change = { path: '/etc/default/kubelet', kind: 'config', change: 'change', what: ['content'] } as unknown as HostDiff['files'][number];

describe('the plan summary before a deploy', () => {
  it('lists every host on its own line with master/worker, never kube-up letters; no cluster yet: a first deploy', () => {
    const lines = planSummary(profile, undefined);
    expect(lines).toEqual([
      'Profile three-hosts: 3 hosts',
      '  10.0.10.11       master  (as ubuntu)',
      '  10.0.10.21       worker  (as ubuntu)',
      '  10.0.10.22:2222  worker  (as ubuntu)',
      'First deploy: everything is installed and started on every host.',
    ]);
  });

  it('adds nothing when the plan changes nothing (the diff printed above says so)', () => {
    expect(planSummary(profile, diffOf(host('10.0.10.11', 'cp1'), host('10.0.10.21', 'worker1')))).toEqual([]);
  });

  it('sums the diff up: the unit whose inputs change, on which hosts, how many restarts follow, the hosts left alone', () => {
    const update = (id: string, name: string) => host(id, name, { action: 'update', files: [change], unitsRestart: ['kubelet.service'] });
    const lines = planSummary(profile, diffOf(host('10.0.10.11', 'cp1'), update('10.0.10.21', 'worker1'), update('10.0.10.22:2222', 'worker2'), host('10.0.10.23', 'worker3', { action: 'add' })));
    expect(lines).toEqual([
      'In short:',
      '  kubelet inputs change on worker1, worker2 → 2 kubelet restarts',
      '  new: worker3 (everything installed)',
      '  cp1 unchanged',
    ]);
  });
});
