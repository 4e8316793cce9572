// `kubeup certs check`'s verdict and table, and what stops `certs renew` before it issues anything (pure).
import { describe, expect, it } from 'vitest';
import type { ClusterDiff, FileChange } from '../../../src/plan/diff.js';
import { certsExitCode, formatCertsReport, pendingNonCertChanges, type CertsReport } from '../../../src/tasks/certs.js';

const facts = (serial: string, notAfter: string) => ({ subject: 'CN=kube-apiserver', sans: ['DNS:kubernetes', 'IP:10.96.0.1'], issuer: 'CN=kubeup-lab-ca', serial, notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date(notAfter), publicKeySha256: 'ab' });

function report(level: CertsReport['level'], hostProblems: string[] = []): CertsReport {
  return {
    profile: 'lab',
    now: '2026-12-02T00:00:00.000Z',
    warnDays: 30,
    failDays: 7,
    localDir: '/state/clusters/lab/pki',
    local: [{ name: 'kube-apiserver', file: '/state/clusters/lab/pki/kube-apiserver.crt', facts: facts('5A', '2027-01-01T00:00:00Z'), ca: 'ca', days: 30, level: 'ok', problems: [] }],
    hosts: [{ id: '10.0.0.1', nodeName: 'h1', certs: [{ name: 'kube-apiserver', file: '/etc/kubernetes/pki/kube-apiserver.crt', facts: facts('5B', '2027-01-01T00:00:00Z'), ca: 'ca', days: 30, level: hostProblems.length ? 'fail' : 'ok', problems: hostProblems }] }],
    level,
  };
}

describe('certs check', () => {
  it('exit codes: 0 ok, 20 warn, 21 fail', () => {
    expect([certsExitCode({ level: 'ok' }), certsExitCode({ level: 'warn' }), certsExitCode({ level: 'fail' })]).toEqual([0, 20, 21]);
  });

  it('a table per place, with CA, expiry, days, serial, subject and SANs; the verdict names the command', () => {
    const text = formatCertsReport(report('ok'));
    expect(text).toContain('  ok  kube-apiserver  ca  2027-01-01 00:00Z  30    5A      CN=kube-apiserver; DNS:kubernetes; IP:10.96.0.1');
    expect(text).toContain("  ok  /etc/kubernetes/pki/kube-apiserver.crt  kube-apiserver  2027-01-01 00:00Z  30    same as this machine's, key matches");
    expect(text.trimEnd().split('\n').pop()).toMatch(/^OK: /);
    expect(formatCertsReport(report('warn'))).toMatch(/WARN: a certificate expires within 30 days: kubeup certs renew --profile lab/);
    const bad = formatCertsReport(report('fail', ['differs from the local copy (serial 5B here, 5A on this machine)']));
    expect(bad).toContain('FAIL  /etc/kubernetes/pki/kube-apiserver.crt  kube-apiserver  2027-01-01 00:00Z  30    differs from the local copy');
    expect(bad.trimEnd().split('\n').pop()).toMatch(/^FAIL: /);
  });

  it('an unreachable host fails with why', () => {
    const r: CertsReport = { ...report('fail'), hosts: [{ id: '10.0.0.9', nodeName: 'h9', unreachable: 'connect ECONNREFUSED', certs: [] }] };
    expect(formatCertsReport(r)).toContain('Host 10.0.0.9 (node h9):\n  FAIL  not read: connect ECONNREFUSED');
  });
});

describe('pendingNonCertChanges', () => {
  const change = (path: string, drift = false): FileChange => ({ path, kind: 'file', change: 'change', what: ['content'], drift, restarts: [] });
  const diff = (hosts: ClusterDiff['hosts']): ClusterDiff => ({ profile: 'lab', hosts });
  const host = (id: string, action: ClusterDiff['hosts'][number]['action'], files: FileChange[] = []) => ({ id, nodeName: id, action, files, unitsRestart: [], unitsStart: [] });

  it('certificate and key files under /etc/kubernetes/pki are no reason (a renew that stopped midway leaves those)', () => {
    expect(pendingNonCertChanges(diff([host('a', 'update', [change('/etc/kubernetes/pki/kubelet.crt'), change('/etc/kubernetes/pki/etcd/server.key')]), host('b', 'unchanged')]))).toEqual([]);
  });

  it('anything else is: another file, drift, a host to add or remove', () => {
    expect(pendingNonCertChanges(diff([host('a', 'update', [change('/etc/default/kubelet'), change('/etc/kubernetes/kubelet-config.yaml', true)]), host('b', 'add'), host('c', 'remove')]))).toEqual([
      'a: /etc/default/kubelet (change)',
      'a: /etc/kubernetes/kubelet-config.yaml (drift)',
      'b: host to add',
      'c: host to remove',
    ]);
  });
});
