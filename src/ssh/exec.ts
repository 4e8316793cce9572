// Runs one command line on one ssh2 channel: streams stdout/stderr line by line, feeds stdin, answers sudo's
// password prompt, and stops the command on timeout.

import { StringDecoder } from 'node:string_decoder';
import type { Client } from 'ssh2';
import { LineSplitter } from './lines.js';
import { SudoStderrFilter, type SudoMarkers } from './sudo.js';

export interface ChannelRequest {
  command: string;
  stdin?: Buffer;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  timeoutMs?: number;
  /** Set when sudo runs with -S: the password goes to stdin at the first prompt marker, stdin after the ready one. */
  sudoPassword?: { markers: SudoMarkers; password: string };
  /** How long to wait for sudo's prompt or the command's start; default SUDO_PROMPT_WAIT_MS. */
  sudoPromptWaitMs?: number;
}

export interface ChannelOutcome {
  /** null when the command ended by a signal or the channel closed without an exit status. */
  code: number | null;
  signal?: string;
  stdout: Buffer;
  stderr: string;
  timedOut: boolean;
  /** sudo asked a second time: the password was wrong. */
  sudoRejected: boolean;
  /** sudo showed neither kubeup's prompt nor ran the command in time (another prompt, e.g. passprompt_override). */
  sudoStuck: boolean;
}

const CLOSE_GRACE_MS = 10_000;
/** sudo prompts (or starts the command) at once; silence this long means it waits for something we cannot answer. */
export const SUDO_PROMPT_WAIT_MS = 20_000;

export function runOnChannel(client: Client, req: ChannelRequest): Promise<ChannelOutcome> {
  return new Promise((resolve, reject) => {
    client.exec(req.command, (err, channel) => {
      if (err) {
        reject(err);
        return;
      }
      const stdoutChunks: Buffer[] = [];
      let stderr = '';
      let code: number | null = null;
      let signal: string | undefined;
      let timedOut = false;
      let sudoRejected = false;
      let sudoStuck = false;
      let prompts = 0;

      const stdoutLines = new LineSplitter((line) => req.onLine?.(line, 'stdout'));
      const stderrLines = new LineSplitter((line) => req.onLine?.(line, 'stderr'));
      const stderrDecoder = new StringDecoder('utf8');

      const stop = () => {
        try {
          channel.signal('KILL');
        } catch {
          // Older servers refuse signal requests; closing the channel below ends the command anyway.
        }
        channel.close();
      };
      const sendStdin = () => {
        if (req.stdin && req.stdin.length > 0) channel.write(req.stdin);
        channel.end();
      };

      const filter = req.sudoPassword
        ? new SudoStderrFilter(req.sudoPassword.markers, (event) => {
            if (event === 'ready') {
              clearTimeout(sudoGuard);
              sendStdin();
            } else if (++prompts === 1) {
              channel.write(`${req.sudoPassword!.password}\n`);
            } else {
              sudoRejected = true;
              stop();
            }
          })
        : undefined;

      const sudoGuard = req.sudoPassword
        ? setTimeout(() => {
            sudoStuck = true;
            stop();
          }, req.sudoPromptWaitMs ?? SUDO_PROMPT_WAIT_MS)
        : undefined;

      const onStderrText = (text: string) => {
        const own = filter ? filter.push(text) : text;
        stderr += own;
        stderrLines.pushText(own);
      };

      // The remote `timeout` (see buildCommand) ends the command; if the channel still has not closed after a grace
      // period (a hung host), give up on it without waiting any longer.
      let finished = false;
      const timers = req.timeoutMs
        ? [
            setTimeout(() => {
              timedOut = true;
              stop();
            }, req.timeoutMs),
            setTimeout(() => finish(), req.timeoutMs + CLOSE_GRACE_MS),
          ]
        : [];

      channel.on('data', (chunk: Buffer) => {
        stdoutChunks.push(chunk);
        stdoutLines.push(chunk);
      });
      channel.stderr.on('data', (chunk: Buffer) => onStderrText(stderrDecoder.write(chunk)));
      channel.on('exit', (exitCode: number | null, exitSignal?: string) => {
        code = typeof exitCode === 'number' ? exitCode : null;
        if (exitSignal) signal = exitSignal;
      });
      const finish = () => {
        if (finished) return;
        finished = true;
        for (const timer of timers) clearTimeout(timer);
        clearTimeout(sudoGuard);
        onStderrText(stderrDecoder.end());
        if (filter) {
          const rest = filter.end();
          stderr += rest;
          stderrLines.pushText(rest);
        }
        stdoutLines.end();
        stderrLines.end();
        resolve({ code, ...(signal ? { signal } : {}), stdout: Buffer.concat(stdoutChunks), stderr, timedOut, sudoRejected, sudoStuck });
      };
      channel.on('close', finish);

      if (!req.sudoPassword) sendStdin();
    });
  });
}
