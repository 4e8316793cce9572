// A Ctrl-C in a headless run cancels between steps; only a second one quits at once. The profile store's conf loads
// atomically's when-exit, which answers the first SIGINT by sending the same signal again: in a real process (the
// CLI's own modules, one SIGINT from outside) that echo must not count as the second.
import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO } from '../../e2e/helpers.js';

function runScript(body: string, signals: number[]): Promise<{ code: number | null; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeup-sig-'));
  const file = join(dir, 'script.ts');
  writeFileSync(file, body);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: REPO, env: { PATH: process.env.PATH!, HOME: dir, KUBEUP_CONFIG_DIR: join(dir, 'config') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n') && signals.length) {
        const delays = signals.splice(0);
        for (const ms of delays) setTimeout(() => child.kill('SIGINT'), ms);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, out });
    });
  });
}

const SCRIPT = `
import { ProfileStore } from '${join(REPO, 'src/profile/store.ts')}';
import { cancelOnSignals } from '${join(REPO, 'src/cli/run.ts')}';
new ProfileStore().list();
const signal = cancelOnSignals({ out: console.log, err: console.log, isTTY: false, confirm: async () => true, secret: async () => '' });
signal.addEventListener('abort', () => console.log('aborted'));
console.log('ready');
setTimeout(() => console.log('the run went on to its end'), 2500);
`;

it('one SIGINT cancels and the run goes on to its end; a second one, later, quits at once', async () => {
  const once = await runScript(SCRIPT, [0]);
  expect(once.out).toContain('SIGINT: cancelling after the steps under way');
  expect(once.out).toContain('aborted');
  expect(once.out).not.toContain('SIGINT again');
  expect(once.out).toContain('the run went on to its end');
  expect(once.code).toBe(0);

  const twice = await runScript(SCRIPT, [0, 1500]);
  expect(twice.out).toContain('SIGINT again: quitting at once');
  expect(twice.out).not.toContain('the run went on to its end');
  expect(twice.code).toBe(130);
}, 60_000);
