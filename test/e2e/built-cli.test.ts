// The bundle users run (dist/cli.js), not the sources through tsx: bundling can break what tsx hides (a CommonJS
// dependency reaching for __dirname, a lazily loaded chunk).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from './helpers.js';

describe('the built CLI', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubeup-built-'));
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO, stdio: 'pipe' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [join(REPO, 'dist/cli.js'), ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH!, HOME: dir, KUBEUP_CONFIG_DIR: join(dir, 'config'), KUBEUP_STATE_DIR: join(dir, 'state'), CI: 'true', ...env },
      timeout: 60_000,
    });

  it('loads the SSH layer and reports an unreachable host as a preflight failure', () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      [
        'name: unreachable',
        'hosts:',
        '  - {address: 127.0.0.1, port: 1, roles: ai}',
        'ssh: {agent: false, password: true}',
        '',
      ].join('\n'),
    );
    const r = run(['up', '--file', file, '--yes'], { KUBEUP_SSH_PASSWORD: 'x' });
    expect(r.status, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/127\.0\.0\.1:1: ssh: connection refused/);
    expect(r.stdout).toMatch(/^\[127\.0\.0\.1:1\] FAILED/m);
  });

  it('prints the plan without connecting anywhere', () => {
    const r = run(['plan', '--offline', '--file', join(REPO, 'profiles/classic.yaml')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Plan for profile classic/);
    expect(r.stdout).toMatch(/Nothing was contacted/);
  });
});
