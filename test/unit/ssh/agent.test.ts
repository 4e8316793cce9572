import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeAgent } from '../../../src/ssh/agent.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeup-agent-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function waitFor(path: string): Promise<void> {
  for (let i = 0; i < 100 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 50));
}

describe('probeAgent', () => {
  it('counts the keys of a real ssh-agent', async () => {
    const socket = join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      await waitFor(socket);
      expect(await probeAgent(socket)).toEqual({ ok: true, keys: 0 });
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
      execFileSync('ssh-add', ['-q', join(dir, 'k')], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'pipe' });
      expect(await probeAgent(socket)).toEqual({ ok: true, keys: 1 });
    } finally {
      agent.kill('SIGTERM');
    }
  });

  it('reports a socket path with nothing behind it', async () => {
    expect(await probeAgent(join(dir, 'missing.sock'))).toEqual({ ok: false, reason: 'ENOENT' });
  });

  it('gives up on a socket that never answers', async () => {
    const socket = join(dir, 'silent.sock');
    const server = createServer(() => {});
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      expect(await probeAgent(socket, 200)).toEqual({ ok: false, reason: 'no answer within 200 ms' });
    } finally {
      server.close();
    }
  });
});
