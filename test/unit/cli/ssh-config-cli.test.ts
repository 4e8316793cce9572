// `kubeup plan --offline` with a ~/.ssh/config: an alias becomes its HostName everywhere, and the plan says what came
// from the file.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';

let home: string;
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'kubeup-cli-ssh-'));
  mkdirSync(join(home, '.ssh'));
  writeFileSync(join(home, '.ssh', 'config'), 'Host lab-*\n  User deploy\nHost lab-cp\n  HostName 192.168.50.11\nHost lab-w1\n  HostName 192.168.50.12\n  Port 2222\n');
  writeFileSync(join(home, 'lab.yaml'), stringify({ name: 'lab', hosts: [{ address: 'lab-cp', roles: 'ai' }, { address: 'lab-w1', roles: 'i' }] }));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

it('plan shows the real addresses and lists what ~/.ssh/config gave each host', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'plan', '--file', join(home, 'lab.yaml'), '--offline'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH!, HOME: home, KUBEUP_CONFIG_DIR: join(home, 'config'), KUBEUP_STATE_DIR: join(home, 'state') },
    timeout: 30_000,
  });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain(`From the SSH config (~/.ssh/config; the profile's own fields win):`);
  expect(r.stdout).toContain(`hosts[0] lab-cp: HostName 192.168.50.11 (${join(home, '.ssh/config')}:4), User deploy (${join(home, '.ssh/config')}:2)`);
  expect(r.stdout).toContain(`hosts[1] lab-w1: HostName 192.168.50.12 (${join(home, '.ssh/config')}:6), User deploy (${join(home, '.ssh/config')}:2), Port 2222 (${join(home, '.ssh/config')}:7)`);
  expect(r.stdout).toMatch(/192\.168\.50\.11/);
  expect(r.stdout).not.toMatch(/--advertise-address=lab-cp|server: https:\/\/lab-cp/);
});
