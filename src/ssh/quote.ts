// The one place where argv becomes a shell command line. Everything sent to a remote shell goes through quoteArgv;
// a raw, unquoted fragment needs shRaw(), which is easy to grep for and reviewed on sight.

const RAW = Symbol('kubeup.shRaw');

/** A shell fragment passed through unquoted (pipes, redirections). Build with shRaw(). */
export interface ShellRaw {
  readonly [RAW]: true;
  readonly text: string;
}

/** One argument of a remote command: a plain string (always quoted) or a reviewed raw fragment. */
export type CommandArg = string | ShellRaw;

/** Marks a fragment to be sent to the remote shell as written. Use only for constant, reviewed text. */
export function shRaw(text: string): ShellRaw {
  return { [RAW]: true, text };
}

export function isShellRaw(arg: unknown): arg is ShellRaw {
  return typeof arg === 'object' && arg !== null && (arg as Partial<ShellRaw>)[RAW] === true;
}

// Characters that never need quoting in a POSIX shell word. No '=': a leading NAME=value word would become an
// assignment instead of a command.
const SAFE_WORD = /^[A-Za-z0-9_@%+:,./-]+$/;

/**
 * Quotes argv for a POSIX shell: each string becomes exactly one word, raw fragments are kept as they are.
 * Single quotes protect everything except a single quote itself, which is written as '\''.
 */
export function quoteArgv(argv: readonly CommandArg[]): string {
  return argv.map((arg) => (isShellRaw(arg) ? arg.text : quoteWord(arg))).join(' ');
}

function quoteWord(word: string): string {
  if (word.includes('\0')) throw new TypeError('a shell argument cannot contain a NUL byte');
  if (word !== '' && SAFE_WORD.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** argv as text for messages and logs (quoted the same way, so it can be pasted into a shell). */
export function displayArgv(argv: readonly CommandArg[]): string[] {
  return argv.map((arg) => (isShellRaw(arg) ? arg.text : quoteWord(arg)));
}
