// Plain terminal I/O for the CLI: output, and yes/no questions that refuse to guess without a terminal.
import { createInterface } from 'node:readline/promises';
import { CancelledError, NeedsTerminalError } from '../errors.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
  /** Asks a yes/no question on the terminal; without one, throws NeedsTerminalError naming the flag to use. */
  confirm(question: string, flagHint: string): Promise<boolean>;
  /** Asks for a secret without echoing it; without a terminal, throws NeedsTerminalError with the hint. */
  secret(question: string, flagHint: string): Promise<string>;
}

/**
 * Writes lines to a stream until its reader goes away (`kubeup plan | head`): then the rest is dropped quietly
 * instead of an EPIPE stack trace, and the command still finishes what it started.
 */
export function lineWriter(stream: NodeJS.WritableStream): (text: string) => void {
  let closed = false;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') closed = true;
    else throw e;
  });
  return (t) => {
    if (!closed) stream.write(t.endsWith('\n') ? t : `${t}\n`);
  };
}

/**
 * Control characters (escape sequences that retitle or clear the terminal, a carriage return that overwrites the
 * line) and invisible format characters (zero-width spaces, bidi overrides) shown as `\u{1b}`: a profile value, a
 * command-line argument or a host's output echoed in a message is printed as text, never obeyed, and `"l\u{200b}ab"`
 * does not pass for "lab". Newlines and tabs stay.
 */
export function visible(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, (c) => (c === '\n' || c === '\t' ? c : `\\u{${c.codePointAt(0)!.toString(16)}}`));
}

export function processIo(): CliIo {
  const isTTY = process.stdin.isTTY === true && process.stdout.isTTY === true;
  const out = lineWriter(process.stdout);
  const err = lineWriter(process.stderr);
  return {
    out: (t) => out(visible(t)),
    err: (t) => err(visible(t)),
    isTTY,
    async confirm(question, flagHint) {
      if (!isTTY) throw new NeedsTerminalError(`${question} needs an answer, and there is no terminal to ask`, { hint: flagHint });
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        const answer = (await rl.question(`${question} [y/N] `)).trim().toLowerCase();
        return answer === 'y' || answer === 'yes';
      } finally {
        rl.close();
      }
    },
    async secret(question, flagHint) {
      if (!isTTY) throw new NeedsTerminalError(`${question} needs an answer, and there is no terminal to ask`, { hint: flagHint });
      return readSecret(question);
    },
  };
}

/** Reads one line from the terminal in raw mode, echoing nothing. */
function readSecret(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stdout.write(`${question}: `);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stdout.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new CancelledError('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
