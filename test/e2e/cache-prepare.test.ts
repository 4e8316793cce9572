// `kubeup cache prepare` against the release mirror: no host needed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMirror, type Mirror } from '../harness/mirror/index.js';
import { runCli, writeProfile } from './helpers.js';

describe('kubeup cache prepare', () => {
  let mirror: Mirror;
  let dir: string;
  let file: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeup-cache-'));
    mirror = await startMirror();
    env = { HOME: dir, KUBEUP_CONFIG_DIR: join(dir, 'config'), KUBEUP_STATE_DIR: join(dir, 'state') };
    file = writeProfile(dir, {
      name: 'airgap',
      hosts: [{ address: '192.168.213.11', roles: 'ai' }],
      download: { mirrors: mirror.baseUrls, checksums: mirror.checksums, cacheDir: join(dir, 'cache') },
    });
  });
  afterAll(async () => {
    await mirror?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('downloads and verifies every release once, then finds them all in the cache', async () => {
    const first = await runCli(['cache', 'prepare', '--file', file], env);
    expect(first.code, first.err).toBe(0);
    const count = Number(/(\d+) artefacts verified/.exec(first.out)?.[1]);
    expect(count).toBeGreaterThanOrEqual(7);
    expect(first.out.match(/^downloaded /gm)).toHaveLength(count);
    const requests = mirror.requests.length;
    const second = await runCli(['cache', 'prepare', '--file', file], env);
    expect(second.code, second.err).toBe(0);
    expect(second.out.match(/^cached /gm)).toHaveLength(count);
    expect(mirror.requests.length).toBe(requests);
  });

  it('refuses an unknown architecture', async () => {
    const r = await runCli(['cache', 'prepare', '--file', file, '--arch', 'riscv64'], env);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown architecture riscv64/);
  });
});
