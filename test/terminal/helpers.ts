// Runs a command in a detached tmux session of a fixed size, types into it and reads its screen, like a person at a
// terminal would. Each session has its own tmux server (a socket in the temp dir) and a unique name; stop() kills
// exactly that session and removes the socket.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TmuxOptions {
  /** argv of the program to run; it is followed by a line "[exit N]" and kept on screen until stop(). */
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  width?: number;
  height?: number;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export class TmuxTerminal {
  readonly socket: string;
  readonly session: string;

  private constructor(id: string) {
    this.socket = join(tmpdir(), `kubeup-tmux-${id}.sock`);
    this.session = `kubeup-wizard-${id}`;
  }

  static async start(opts: TmuxOptions): Promise<TmuxTerminal> {
    const t = new TmuxTerminal(`${process.pid}-${Date.now().toString(36)}`);
    const envArgs = Object.entries(opts.env).map(([k, v]) => `${k}=${shellQuote(v)}`);
    // The shell keeps the pane open after the program ends, so its last screen and exit code can be read.
    // Not under CI even when the suite is: with CI set at all, Ink draws only the final frame, as in a CI log.
    const script = `env -u CI ${envArgs.join(' ')} ${opts.argv.map(shellQuote).join(' ')}; echo "[exit $?]"; exec sleep 3600`;
    await t.tmux('new-session', '-d', '-s', t.session, '-x', String(opts.width ?? 100), '-y', String(opts.height ?? 30), '-c', opts.cwd, 'sh', '-c', script);
    return t;
  }

  private async tmux(...args: string[]): Promise<string> {
    const { stdout } = await run('tmux', ['-S', this.socket, ...args]);
    return stdout;
  }

  /**
   * Sends tmux key names (Enter, Down, Escape, C-c, Space ...) one at a time, each after the screen has answered
   * the one before, as a person would: keys sent faster arrive in one chunk, which is a different test.
   */
  async keys(...names: string[]): Promise<void> {
    for (const name of names) {
      const before = await this.screen();
      await this.tmux('send-keys', '-t', this.session, name);
      await this.waitForChange(before, `after the key ${name}`);
    }
  }

  private async waitForChange(before: string, what: string, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.screen()) === before) {
      if (Date.now() > deadline) throw new Error(`the screen did not change ${what} within ${timeoutMs} ms; it shows:\n${before}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async press(name: string, times: number): Promise<void> {
    for (let i = 0; i < times; i++) await this.keys(name);
  }

  /** Types literal text. */
  async type(text: string): Promise<void> {
    const before = await this.screen();
    await this.tmux('send-keys', '-t', this.session, '-l', text);
    await this.waitForChange(before, `after typing ${JSON.stringify(text)}`);
  }

  async screen(): Promise<string> {
    return this.tmux('capture-pane', '-p', '-t', this.session);
  }

  /** Polls the screen until it shows `text`; fails with the last screen. */
  async waitFor(text: string | RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = await this.screen();
      if (typeof text === 'string' ? screen.includes(text) : text.test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${String(text)}; the screen was:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Kills this session only; its private server exits with its last session. */
  stop(): void {
    const alive = spawnSync('tmux', ['-S', this.socket, 'has-session', '-t', this.session], { stdio: 'ignore' }).status === 0;
    if (alive) execFileSync('tmux', ['-S', this.socket, 'kill-session', '-t', this.session], { stdio: 'ignore' });
    rmSync(this.socket, { force: true });
  }
}
