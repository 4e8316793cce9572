// Plain terminal I/O for the CLI: output, and yes/no questions that refuse to guess without a terminal.
import { createInterface } from 'node:readline/promises';
import { NeedsTerminalError } from '../errors.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
  /** Asks a yes/no question on the terminal; without one, throws NeedsTerminalError naming the flag to use. */
  confirm(question: string, flagHint: string): Promise<boolean>;
}

export function processIo(): CliIo {
  const isTTY = process.stdin.isTTY === true && process.stdout.isTTY === true;
  return {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
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
  };
}
