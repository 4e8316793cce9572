// A strict stand-in for HostSession in engine unit tests (after rig's mock runner): it records every call, answers
// exec with canned replies, keeps uploaded files in memory, and throws on any command nobody said to expect.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DeployError, RemoteCommandError } from '../errors.js';
import { displayArgv, quoteArgv, type CommandArg } from './quote.js';
import { spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import type { ExecOptions, ExecResult, HostSession, UploadContent, UploadOptions, UploadResult } from './session.js';

export interface FakeReply {
  code?: number;
  stdout?: string;
  stderr?: string;
}

/** Exact argv (compared after quoting, so shRaw fragments compare by their text), a RegExp on the command line, or a predicate. */
export type CommandMatcher = readonly CommandArg[] | RegExp | ((commandLine: string, opts: ExecOptions) => boolean);

export type FakeCall =
  | { kind: 'exec'; command: string; sudo: boolean; stdin?: string }
  | { kind: 'upload'; path: string; content: Buffer; mode: number; owner: string; sensitive: boolean; changed: boolean; how: 'sent' | 'encoded' | 'fetched'; wireBytes: number }
  | { kind: 'read'; path: string }
  | { kind: 'close' };

export interface FakeFile {
  content: Buffer;
  mode: number;
  owner: string;
}

interface Expectation {
  matcher: CommandMatcher;
  reply: FakeReply | ((commandLine: string, opts: ExecOptions) => FakeReply | Promise<FakeReply>);
  /** Uses left; Infinity for "any number of times". */
  left: number;
  times?: number;
  describe: string;
}

export class UnexpectedCommandError extends Error {
  constructor(
    readonly target: string,
    readonly command: string,
    expected: string[],
  ) {
    super(`FakeSession ${target}: unexpected command: ${command}\n  expected one of:\n${expected.map((e) => `    ${e}`).join('\n') || '    (nothing)'}`);
    this.name = 'UnexpectedCommandError';
  }
}

export class FakeSession implements HostSession {
  readonly calls: FakeCall[] = [];
  readonly files = new Map<string, FakeFile>();
  private readonly expectations: Expectation[] = [];
  private readonly strict: boolean;
  private closed = false;

  constructor(
    readonly target = 'root@fake:22',
    opts: { strict?: boolean } = {},
  ) {
    this.strict = opts.strict ?? true;
  }

  /** Expects a command; `times` makes assertAllUsed() check it ran exactly that often (default: any number, at least once). */
  on(matcher: CommandMatcher, reply: Expectation['reply'] = {}, opts: { times?: number } = {}): this {
    this.expectations.push({
      matcher,
      reply,
      left: opts.times ?? Infinity,
      ...(opts.times !== undefined ? { times: opts.times } : {}),
      describe: describeMatcher(matcher),
    });
    return this;
  }

  /** What the fake host gets when it fetches url (and takes member out of it): `url` or `url#member`. */
  readonly fetchable = new Map<string, Buffer>();

  /** Puts a file on the fake host, as if it were already there. */
  addFile(path: string, content: string | Buffer, mode = 0o644, owner = 'root:root'): this {
    this.files.set(path, { content: Buffer.from(content), mode, owner });
    return this;
  }

  async exec(argv: readonly CommandArg[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.assertOpen();
    const command = quoteArgv(argv);
    this.calls.push({ kind: 'exec', command, sudo: opts.sudo ?? false, ...(opts.stdin !== undefined ? { stdin: opts.stdin.toString() } : {}) });
    const expectation = this.expectations.find((e) => e.left > 0 && matches(e.matcher, command, opts));
    if (!expectation) {
      if (this.strict) throw new UnexpectedCommandError(this.target, command, this.expectations.map((e) => e.describe));
      return { code: 0, stdout: '', stderr: '' };
    }
    expectation.left--;
    const reply = typeof expectation.reply === 'function' ? await expectation.reply(command, opts) : expectation.reply;
    const result = { code: reply.code ?? 0, stdout: reply.stdout ?? '', stderr: reply.stderr ?? '' };
    for (const [text, stream] of [[result.stdout, 'stdout'], [result.stderr, 'stderr']] as const) {
      for (const line of splitLines(text)) opts.onLine?.(line, stream);
    }
    if (result.code !== 0 && !opts.allowFailure) {
      throw new RemoteCommandError(hostOf(this.target), displayArgv(argv), result.code, result.stderr);
    }
    return result;
  }

  async upload(remotePath: string, content: UploadContent, opts: UploadOptions): Promise<UploadResult> {
    this.assertOpen();
    const { bytes, how, wireBytes } = await this.materialise(remotePath, content);
    const owner = opts.owner ?? 'root:root';
    const existing = this.files.get(remotePath);
    const changed = !existing || sha256(existing.content) !== sha256(bytes) || existing.mode !== opts.mode || existing.owner !== owner;
    this.calls.push({ kind: 'upload', path: remotePath, content: bytes, mode: opts.mode, owner, sensitive: opts.sensitive ?? false, changed, how, wireBytes: changed ? wireBytes : 0 });
    if (changed) {
      this.files.set(remotePath, { content: Buffer.from(bytes), mode: opts.mode, owner });
      opts.onProgress?.(wireBytes, wireBytes);
    }
    const encoding = changed && how === 'encoded' && !Buffer.isBuffer(content) && 'encoded' in content ? { encoding: content.encoded.format } : {};
    return { changed, bytes: bytes.length, wireBytes: changed ? wireBytes : 0, ...encoding };
  }

  /** The file's bytes as the host would have them: expanded or fetched ones checked against their sha256 like the real host does. */
  private async materialise(remotePath: string, content: UploadContent): Promise<{ bytes: Buffer; how: 'sent' | 'encoded' | 'fetched'; wireBytes: number }> {
    if (Buffer.isBuffer(content)) return { bytes: content, how: 'sent', wireBytes: content.length };
    if ('localPath' in content) {
      const bytes = await readFile(content.localPath);
      return { bytes, how: 'sent', wireBytes: bytes.length };
    }
    const refuse = (why: string) => new DeployError(`${this.target}: ${remotePath}: ${why}`, { host: hostOf(this.target), file: remotePath });
    let bytes: Buffer;
    let how: 'encoded' | 'fetched';
    let wireBytes = 0;
    if ('encoded' in content) {
      const packed = await readFile(content.encoded.localPath);
      wireBytes = packed.length;
      how = 'encoded';
      try {
        bytes = content.encoded.format === 'gzip' ? gunzipSync(packed) : expandWith(content.encoded.format, packed);
      } catch {
        throw refuse(`cannot expand the ${content.encoded.format} upload (corrupted)`);
      }
    } else {
      const key = content.fetch.member ? `${content.fetch.url}#${content.fetch.member}` : content.fetch.url;
      const got = this.fetchable.get(key);
      if (!got) throw refuse(`${content.fetch.tool} could not download ${content.fetch.url}`);
      bytes = got;
      how = 'fetched';
    }
    if (sha256(bytes) !== content.sha256) throw refuse(`the ${how} file has sha256 ${sha256(bytes)}, expected ${content.sha256}: refused`);
    return { bytes, how, wireBytes };
  }

  async read(remotePath: string): Promise<Buffer | undefined> {
    this.assertOpen();
    this.calls.push({ kind: 'read', path: remotePath });
    const file = this.files.get(remotePath);
    return file ? Buffer.from(file.content) : undefined;
  }

  async close(): Promise<void> {
    this.calls.push({ kind: 'close' });
    this.closed = true;
  }

  /** Command lines of every exec, in order. */
  commands(): string[] {
    return this.calls.flatMap((c) => (c.kind === 'exec' ? [c.command] : []));
  }

  /** Paths of every upload that changed something, in order. */
  uploadedPaths(): string[] {
    return this.calls.flatMap((c) => (c.kind === 'upload' && c.changed ? [c.path] : []));
  }

  /** Throws when an expectation never ran, or ran a different number of times than `times` said. */
  assertAllUsed(): void {
    const problems = this.expectations.flatMap((e) => {
      if (e.times !== undefined && e.left !== 0) return [`${e.describe}: expected ${e.times} run(s), got ${e.times - e.left}`];
      if (e.times === undefined && !this.ran(e)) return [`${e.describe}: never ran`];
      return [];
    });
    if (problems.length) throw new Error(`FakeSession ${this.target}:\n  ${problems.join('\n  ')}`);
  }

  private ran(e: Expectation): boolean {
    return this.calls.some((c) => c.kind === 'exec' && matches(e.matcher, c.command, { sudo: c.sudo }));
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`FakeSession ${this.target}: used after close()`);
  }
}

function matches(matcher: CommandMatcher, command: string, opts: ExecOptions): boolean {
  if (matcher instanceof RegExp) return matcher.test(command);
  if (typeof matcher === 'function') return matcher(command, opts);
  return quoteArgv(matcher) === command;
}

function describeMatcher(matcher: CommandMatcher): string {
  if (matcher instanceof RegExp) return String(matcher);
  if (typeof matcher === 'function') return `(predicate ${matcher.name || 'anonymous'})`;
  return quoteArgv(matcher);
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

function hostOf(target: string): string {
  return target.replace(/^[^@]*@/, '').replace(/:\d+$/, '');
}

function expandWith(format: string, packed: Buffer): Buffer {
  const r = spawnSync(format, ['-dc'], { input: packed, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${format} -dc failed`);
  return r.stdout;
}
