// The CLI as a user runs it (through tsx, so no build step is needed), with an isolated store.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeup-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kubeup(args: string[], env: Record<string, string> = {}, input?: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH!, HOME: dir, KUBEUP_CONFIG_DIR: join(dir, 'config'), KUBEUP_STATE_DIR: join(dir, 'state'), ...env },
    input: input ?? '',
    timeout: 30_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('kubeup profiles (CLI)', { timeout: 120_000 }, () => {
  it('without a terminal, `kubeup` explains how to run headless and exits non-zero', () => {
    const r = kubeup([]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/needs a terminal/);
    expect(r.err).toContain('kubeup up --profile NAME --yes');
  });

  it('prints help and rejects unknown options with usage exit code', () => {
    expect(kubeup(['--help']).out).toMatch(/kubeup profiles import-env/);
    const bad = kubeup(['--bogus']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/bogus/);
  });

  it('imports, lists, shows, exports and removes profiles', () => {
    expect(kubeup(['profiles', 'list']).out).toMatch(/No saved profiles/);
    const imp = kubeup(['profiles', 'import', 'profiles/classic.yaml']);
    expect(imp.code, imp.err).toBe(0);
    expect(kubeup(['profiles', 'list']).out).toMatch(/^classic\t2 hosts\tKubernetes 1\.35\.\d+\troot@192\.168\.4\.218\(ai\) root@192\.168\.4\.217\(i\)$/m);
    expect(kubeup(['profiles', 'show', 'classic']).out).toMatch(/address: 192\.168\.4\.218/);
    const file = join(dir, 'out.yaml');
    expect(kubeup(['profiles', 'export', 'classic', file]).code).toBe(0);
    // Same file again under another name: an exact copy apart from the name.
    expect(kubeup(['profiles', 'import', file, '--name', 'copy']).code).toBe(0);
    const a = kubeup(['profiles', 'show', 'classic']).out;
    const b = kubeup(['profiles', 'show', 'copy']).out;
    expect(b).toBe(a.replace('name: classic', 'name: copy'));
    // Importing over an existing name needs --force: a usage error, not an invalid profile.
    const again = kubeup(['profiles', 'import', file]);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already exists.*\n.*--force/);
    // rm without a terminal needs --yes.
    const rm = kubeup(['profiles', 'rm', 'copy']);
    expect(rm.code).toBe(2);
    expect(rm.err).toMatch(/--yes/);
    expect(kubeup(['profiles', 'rm', 'copy', '--yes']).code).toBe(0);
    expect(kubeup(['profiles', 'list']).out).not.toMatch(/^copy/m);
  });

  it('reports an invalid profile file with its fields and exit code 3, saving nothing', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: bad\nhosts:\n  - address: 10.0.0.1\n    roles: ai\nnetwork:\n  podCidr: 10.96.0.0/16\n');
    const r = kubeup(['profiles', 'import', file]);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/network\.podCidr: 10\.96\.0\.0\/16 overlaps the service CIDR/);
    expect(kubeup(['profiles', 'list']).out).not.toMatch(/^bad/m);
  });

  it('imports kube-up variables, asking consent for outdated versions', () => {
    const env = { nodes: 'root@192.168.4.218 root@192.168.4.217', roles: 'ai i', NUM_NODES: '2', ETCD_VERSION: '2.3.1' };
    const refused = kubeup(['profiles', 'import-env', '--name', 'kubeup-env'], env);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/ETCD_VERSION=2\.3\.1/);
    expect(refused.err).toMatch(/--upgrade-versions/);
    const ok = kubeup(['profiles', 'import-env', '--name', 'kubeup-env', '--upgrade-versions'], env);
    expect(ok.code, ok.err).toBe(0);
    expect(kubeup(['profiles', 'show', 'kubeup-env']).out).toMatch(/etcd: 3\./);
    const mismatch = kubeup(['profiles', 'import-env', '--name', 'y'], { ...env, NUM_NODES: '5', ETCD_VERSION: '3.5.1' });
    expect(mismatch.code).toBe(3);
    expect(mismatch.err).toMatch(/NUM_NODES: is 5 but roles="ai i" has 2 nodes/);
  });

  it('names a corrupt store file and leaves it alone', () => {
    const cfg = join(dir, 'corrupt');
    const env = { KUBEUP_CONFIG_DIR: cfg };
    expect(kubeup(['profiles', 'import', 'profiles/classic.yaml'], env).code).toBe(0);
    const storeFile = join(cfg, 'profiles.json');
    writeFileSync(storeFile, '{ not json');
    const r = kubeup(['profiles', 'list'], env);
    expect(r.code).toBe(3);
    expect(r.err).toContain(storeFile);
    expect(r.err).toMatch(/move it aside/);
    expect(readFileSync(storeFile, 'utf8')).toBe('{ not json');
  });
});
