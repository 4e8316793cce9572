// Cancelling through the view's public entry, the way the CLI uses it: openRunView on a profile, a listr2 tree whose
// steps check the abort signal between steps (as the engine's executor does), q then y on the keyboard. The signal
// fires, running steps finish, and follow() rejects with a CancelledError (exit 130) that keeps the log folder.
import { EventEmitter } from 'node:events';
import { stripVTControlCharacters } from 'node:util';
import { Listr } from 'listr2';
import { describe, expect, it } from 'vitest';
import { openRunView } from '../../components/run/index.js';
import { CancelledError, DeployError, EXIT } from '../../src/errors.js';
import { DEFAULT_NETWORK } from '../../src/profile/defaults.js';
import { endReport, warningLines } from '../../src/tasks/end-report.js';
import type { Profile } from '../../src/profile/types.js';

/** A terminal's input as Ink reads it: raw mode, 'readable' events and read(). */
class FakeStdin extends EventEmitter {
  isTTY = true;
  private pending: string[] = [];
  setRawMode() {}
  setEncoding() {}
  ref() {}
  unref() {}
  resume() {}
  pause() {}
  read(): string | null {
    return this.pending.shift() ?? null;
  }
  type(text: string) {
    this.pending.push(text);
    this.emit('readable');
    this.emit('data', text);
  }
}

/** A terminal's output: keeps the last frame Ink wrote. */
class FakeStdout extends EventEmitter {
  isTTY = true;
  columns = 100;
  rows = 30;
  frames: string[] = [];
  write(frame: string) {
    this.frames.push(frame);
    return true;
  }
  get text() {
    return this.frames.join('');
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const profile = {
  name: 'lab',
  hosts: [
    { address: '192.168.213.11', user: 'root', port: 22, roles: ['master', 'worker'] },
    { address: '192.168.213.12', user: 'root', port: 22, roles: ['worker'] },
  ],
  network: DEFAULT_NETWORK,
} as unknown as Profile;

describe('cancelling from the run view', () => {
  it('q then y aborts the run between steps and follow() rejects with CancelledError, exit 130', async () => {
    const stdin = new FakeStdin();
    const stdout = new FakeStdout();
    const view = openRunView(profile, { stdin: stdin as never, stdout: stdout as never });
    const stepsDone: string[] = [];
    let reachedStep = false;
    const tree = new Listr(
      [
        {
          title: 'Provision hosts',
          task: async (_ctx, task) => {
            await task
              .newListr(
                profile.hosts.map((h) => ({
                  title: h.address,
                  task: async () => {
                    for (let step = 1; step <= 1000; step++) {
                      if (view.signal.aborted) throw new CancelledError('cancelled before the next step', { host: h.address });
                      reachedStep = true;
                      await new Promise((resolve) => setTimeout(resolve, 5));
                      stepsDone.push(`${h.address} step ${step}`);
                    }
                  },
                })),
                { concurrent: true, exitOnError: false },
              )
              .run();
            throw new DeployError('provisioning failed on 2 hosts');
          },
        },
      ],
      { renderer: view.renderer.factory as never, rendererOptions: view.renderer.options as never, registerSignalListeners: false },
    );
    const printed: string[] = [];
    const outcome = view.follow(tree.run().catch((e: Error) => Promise.reject(Object.assign(e, { logDir: '/state/runs/r9' }))), (l) => printed.push(l));
    await until('the first step', () => reachedStep && stdout.text.includes('q cancel'));
    stdin.type('q');
    await until('the question', () => stdout.text.includes('Cancel the deploy?'));
    expect(view.signal.aborted).toBe(false);
    stdin.type('y');
    await until('the abort', () => view.signal.aborted);
    const error = await outcome.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).exitCode).toBe(EXIT.cancelled);
    expect((error as CancelledError & { logDir?: string }).logDir).toBe('/state/runs/r9');
    // The steps that were running when the signal fired finished (each host ends on a completed step).
    expect(stepsDone.length).toBeGreaterThan(0);
    for (const h of profile.hosts) expect(stepsDone.some((s) => s.startsWith(`${h.address} step`))).toBe(true);
    // The last frame says so; the end report has every host cancelled, and how to carry on.
    expect(stdout.text).toMatch(/kubeup up lab {2}2 hosts {2}\d:\d\d {2}cancelled/);
    const report = endReport({ state: view.store.getSnapshot() }).join('\n');
    expect(report).toMatch(/– Cancelled during Provision hosts.*: the steps that were running finished/);
    expect(report).toMatch(/192\.168\.213\.12 +worker +cancelled/);
    expect(report).toContain('Next: run kubeup up again to carry on');
    expect(printed).toEqual([]);
  });

  it('a run that fails without a cancel keeps its own error and the view shows it ended', async () => {
    const stdin = new FakeStdin();
    const stdout = new FakeStdout();
    const view = openRunView(profile, { stdin: stdin as never, stdout: stdout as never });
    view.warn('192.168.213.12', 'clock is 3 s behind');
    const failing = Promise.reject(new DeployError('release checksums missing before any connection'));
    const error = await view.follow(failing, () => undefined).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DeployError);
    expect(stdout.text).toContain('FAILED');
    // It failed before any host was touched.
    expect(endReport({ state: view.store.getSnapshot() }).join('\n')).toMatch(/192\.168\.213\.11 +master\+worker +not started/);
    expect(view.signal.aborted).toBe(false);
  });

  it('follows the terminal when it is resized: panes side by side when wide, one line per host when narrow', async () => {
    const stdout = new FakeStdout();
    const view = openRunView(profile, { stdin: new FakeStdin() as never, stdout: stdout as never });
    // Ink brackets each frame in escape sequences written separately: the frame is the last write with lines.
    const lastFrame = () => stripVTControlCharacters([...stdout.frames].reverse().find((f) => f.includes('\n')) ?? '');
    await until('two panes side by side', () => /╭─+╮╭─+╮/.test(lastFrame()));
    stdout.columns = 40;
    stdout.rows = 12;
    stdout.emit('resize');
    await until('one line per host', () => /^› · 192\.168\.213\.11 master\+worker/m.test(lastFrame()));
    expect(lastFrame()).not.toMatch(/╮╭/);
    stdout.columns = 100;
    stdout.rows = 30;
    stdout.emit('resize');
    await until('panes again', () => /╭─+╮╭─+╮/.test(lastFrame()));
    await view.follow(Promise.resolve(), () => undefined);
  });

  it('keeps the warnings for the end report, which lists each once with its hosts', async () => {
    const view = openRunView(profile, { stdin: new FakeStdin() as never, stdout: new FakeStdout() as never });
    view.warn('192.168.213.11', 'clock is 3 s behind');
    view.warn('192.168.213.12', 'clock is 3 s behind');
    view.warn(undefined, 'CA expires in 20 days');
    const printed: string[] = [];
    expect(await view.follow(Promise.resolve('ok'), (l) => printed.push(l))).toBe('ok');
    expect(printed).toEqual([]);
    expect(warningLines(view.store.getSnapshot())).toEqual(['warning: clock is 3 s behind (all hosts)', 'warning: CA expires in 20 days']);
  });
});
