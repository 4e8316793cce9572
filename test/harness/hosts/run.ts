// Runs a local program (argv, never a shell string) and fails with what it printed.

import { spawn } from 'node:child_process';
import { TestHostsError } from './errors.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  stdin?: string;
  /** Return the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  /** What the caller should do when the command fails. */
  hint?: string;
  env?: NodeJS.ProcessEnv;
}

export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (!file) throw new TestHostsError('run: empty argv');
  return new Promise((resolve, reject) => {
    const stdin = opts.stdin === undefined ? 'ignore' : 'pipe';
    const child = spawn(file, args, { stdio: [stdin, 'pipe', 'pipe'], env: opts.env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    // A program may exit without reading its input; that is its own business, reported through its exit code.
    child.stdin?.on('error', () => {});
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) =>
      reject(new TestHostsError(`cannot run ${file}: ${e.message}`, { cause: e, hint: opts.hint ?? `install ${file}` })),
    );
    child.on('close', (code, signal) => {
      const result = { code: code ?? 128, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
      if (result.code === 0 || opts.allowFailure) return resolve(result);
      const tail = result.stderr.trim().split('\n').slice(-5).join('\n  ');
      reject(
        new TestHostsError(
          `command failed (${signal ? `signal ${signal}` : `exit ${result.code}`}): ${argv.join(' ')}${tail ? `\n  ${tail}` : ''}`,
          { hint: opts.hint },
        ),
      );
    });
    child.stdin?.end(opts.stdin);
  });
}
