import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readDeployedRecord, recordPath, updateDeployedRecord } from '../../src/deployed-record.js';
import type { DeployedHost } from '../../src/plan/diff.js';
import { formatStatus, statusExitCode, STATUS_EXIT, type ClusterStatus } from '../../src/tasks/status.js';

const host = (id: string): DeployedHost => ({ id, spec: { address: id, user: 'root', port: 22, roles: ['worker'] }, nodeName: id, roles: ['worker'], units: ['kubelet.service'], files: {} });

describe('record of deployed hosts', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'kubeup-record-'));
    dirs.push(d);
    return join(d, 'state');
  };

  it('keeps hosts in deploy order, replaces by id, drops removed ones; private; gone with the last host', async () => {
    const d = dir();
    expect(readDeployedRecord(d)).toBeUndefined();
    await updateDeployedRecord(d, 'lab', [host('a'), host('b')]);
    await updateDeployedRecord(d, 'lab', [{ ...host('a'), nodeName: 'renamed' }, host('c')], ['b']);
    expect(readDeployedRecord(d)!.hosts.map((h) => [h.id, h.nodeName])).toEqual([['a', 'renamed'], ['c', 'c']]);
    expect(statSync(recordPath(d)).mode & 0o777).toBe(0o600);
    await updateDeployedRecord(d, 'lab', [], ['a', 'c']);
    expect(existsSync(recordPath(d))).toBe(false);
  });

  it('a damaged record is named, with what to do', async () => {
    const d = dir();
    await updateDeployedRecord(d, 'lab', [host('a')]);
    writeFileSync(recordPath(d), readFileSync(recordPath(d), 'utf8').slice(0, 20));
    expect(() => readDeployedRecord(d)).toThrow(/record of deployed hosts is damaged/);
  });
});

describe('status exit codes', () => {
  const ok = (): ClusterStatus => ({ profile: 'lab', notDeployed: [], hosts: [{ id: 'a', nodeName: 'a', node: 'Ready', drift: [], units: [{ name: 'kubelet.service', state: 'active' }] }] });
  it('0 clean, 10 drift, 11 down, 12 both', () => {
    expect(statusExitCode(ok())).toBe(STATUS_EXIT.clean);
    const drift = ok();
    drift.hosts[0]!.drift.push({ path: '/etc/default/kubelet', kind: 'file', change: 'change', what: ['content'], drift: true, restarts: [] });
    expect(statusExitCode(drift)).toBe(10);
    expect(formatStatus(drift)).toContain('drift: /etc/default/kubelet changed (content)');
    const down = ok();
    down.hosts[0]!.node = 'NotReady';
    expect(statusExitCode(down)).toBe(11);
    drift.hosts[0]!.units[0]!.state = 'failed';
    expect(statusExitCode(drift)).toBe(12);
    expect(formatStatus(drift)).toContain('units: kubelet.service failed (0 of 1 active)');
    expect(statusExitCode({ ...ok(), apiError: 'connect ECONNREFUSED' })).toBe(11);
    expect(statusExitCode({ ...ok(), notDeployed: ['b'] })).toBe(10);
  });
});
