// The rendered units and option files as systemd sees them: `systemd-analyze verify` on a scratch root that holds
// the rendered files, stand-in executables and a copy of the system's own units (for targets such as
// multi-user.target); and each /etc/default file read both by our EnvironmentFile reader and by a real shell.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostPlan } from '../../../src/plan/index.js';
import { defaultsPath, unitPath } from '../../../src/render/paths.js';
import { daemonOptionsVariable, type Daemon } from '../../../src/render/units.js';
import { file, loadProfile, optionsWords, planFor, shellWords } from './helpers.js';

const SYSTEM_UNITS = ['/usr/lib/systemd/system', '/lib/systemd/system'].find((d) => spawnSync('test', ['-d', d]).status === 0)!;

/** A scratch root with one host's rendered files and an executable stand-in for every ExecStart/ExecStartPre. */
function scratchRoot(host: HostPlan): string {
  const root = mkdtempSync(join(tmpdir(), 'kubeup-units-'));
  cpSync(SYSTEM_UNITS, join(root, 'usr/lib/systemd/system'), { recursive: true });
  for (const f of host.files) {
    mkdirSync(dirname(join(root, f.path)), { recursive: true });
    writeFileSync(join(root, f.path), f.content, { mode: f.mode });
  }
  for (const b of [...host.binaries.map((x) => x.path), '/sbin/modprobe']) {
    mkdirSync(dirname(join(root, b)), { recursive: true });
    writeFileSync(join(root, b), '#!/bin/sh\nexit 0\n');
    chmodSync(join(root, b), 0o755);
  }
  return root;
}

const hostDaemons = (host: HostPlan) => host.units.map((u) => u.replace(/\.service$/, '') as Daemon);

describe('systemd units', () => {
  const plan = planFor(loadProfile('three-hosts'));
  const roots: string[] = [];
  beforeAll(() => {
    expect(SYSTEM_UNITS, 'systemd unit directory of this machine').toBeTruthy();
  });
  afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

  for (const [i, label] of [[0, 'master+worker'], [1, 'worker']] as const) {
    it(`systemd-analyze verify accepts every unit of the ${label} host without a warning`, () => {
      const host = plan.hosts[i]!;
      const root = scratchRoot(host);
      roots.push(root);
      const units = host.units.map(unitPath);
      const r = spawnSync('systemd-analyze', ['verify', `--root=${root}`, ...units], { encoding: 'utf8' });
      expect(r.error, 'systemd-analyze must be installed (package systemd)').toBeUndefined();
      expect({ status: r.status, stderr: r.stderr, stdout: r.stdout }).toEqual({ status: 0, stderr: '', stdout: '' });
    });
  }

  it('the verifier catches a broken unit (so the test above can fail)', () => {
    const host = plan.hosts[1]!;
    const root = scratchRoot(host);
    roots.push(root);
    const kubelet = join(root, unitPath('kubelet.service'));
    writeFileSync(kubelet, file(host, unitPath('kubelet.service')).content.replace('RestartSec=5', 'RestartSec=5\nRestartt=always'));
    rmSync(join(root, '/opt/bin/kube-proxy'));
    const r = spawnSync('systemd-analyze', ['verify', `--root=${root}`, unitPath('kubelet.service'), unitPath('kube-proxy.service')], { encoding: 'utf8' });
    expect(r.stderr).toContain("Unknown key 'Restartt'");
    expect(r.stderr).toContain('/opt/bin/kube-proxy');
    expect(r.status).not.toBe(0);
  });

  it('each unit reads its own /etc/default file and expands its variable in ExecStart', () => {
    for (const host of plan.hosts) {
      for (const daemon of hostDaemons(host)) {
        const unit = file(host, unitPath(`${daemon}.service`)).content;
        expect(unit).toContain(`\nEnvironmentFile=${defaultsPath(daemon)}\n`);
        expect(unit).toContain(`\nExecStart=/opt/bin/${daemon} $${daemonOptionsVariable(daemon)}\n`);
        expect(unit).toContain('\nRestart=always\nRestartSec=5\n');
        expect(optionsWords(file(host, defaultsPath(daemon)).content).variable).toBe(daemonOptionsVariable(daemon));
      }
    }
  });

  it('dependencies: kube-apiserver after etcd, kubelet after containerd; API clients wait for /readyz, flanneld for its pod CIDR; etcd and containerd notify', () => {
    const [master] = plan.hosts;
    const unit = (name: string) => file(master!, unitPath(name)).content;
    expect(unit('kube-apiserver.service')).toMatch(/\nAfter=etcd\.service .*\nWants=etcd\.service /);
    expect(unit('kubelet.service')).toContain('\nAfter=containerd.service\nWants=containerd.service\n');
    for (const u of ['kube-controller-manager.service', 'kube-scheduler.service', 'kubelet.service', 'kube-proxy.service', 'flanneld.service']) {
      expect(unit(u), u).toMatch(/\nExecStartPre=\/opt\/bin\/kubeup-wait-ready https:\/\/\S+ \S+ \S+ \S+ 120\n/);
    }
    expect(unit('flanneld.service')).toContain(`\nExecStartPre=/opt/bin/kubeup-wait-ready https://192.168.213.11:6443 /etc/kubernetes/pki/ca.crt /etc/kubernetes/pki/flannel.crt /etc/kubernetes/pki/flannel.key 120 /api/v1/nodes/${master!.nodeName} podCIDR\n`);
    expect(unit('etcd.service')).toContain('\nType=notify\n');
    expect(unit('containerd.service')).toContain('\nType=notify\n');
    expect(unit('flanneld.service')).toContain(`\nEnvironment=NODE_NAME=${master!.nodeName}\n`);
  });

  it('a real shell splits every options file into the same words as the EnvironmentFile reader, one flag each', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeup-defaults-'));
    roots.push(dir);
    for (const host of plan.hosts) {
      for (const daemon of hostDaemons(host)) {
        const f = file(host, defaultsPath(daemon));
        const path = join(dir, `${host.nodeName}-${daemon}`);
        writeFileSync(path, f.content);
        const ours = optionsWords(f.content);
        expect(shellWords(path, ours.variable)).toEqual(ours.words);
        expect(ours.words.every((w) => w.startsWith('--'))).toBe(true);
        const names = ours.words.map((w) => w.replace(/=.*/, ''));
        expect([...names].sort()).toEqual(names);
        // one flag per line
        expect(f.content.split('\n').filter((l) => l.includes('--')).length).toBe(ours.words.length);
      }
    }
  });

  it('systemd-analyze is the real one', () => {
    expect(execFileSync('systemd-analyze', ['--version'], { encoding: 'utf8' })).toMatch(/^systemd \d+/);
  });
});
