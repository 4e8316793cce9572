// How a command runs under sudo, and how the password dialogue is kept out of every output.
// With a password: `sudo -S -p <prompt marker>` reads it from stdin when the prompt marker shows on stderr; a small
// wrapper then prints a ready marker, after which the command's own stdin follows. The markers are random per session.

import { randomBytes } from 'node:crypto';
import { isShellRaw, quoteArgv, type CommandArg } from './quote.js';

/** root: no sudo at all; nopasswd: `sudo -n`; password: `sudo -S` with the session's password. */
export type SudoMode = 'root' | 'nopasswd' | 'password';

export interface SudoMarkers {
  prompt: string;
  ready: string;
}

export function newSudoMarkers(): SudoMarkers {
  const token = randomBytes(12).toString('hex');
  return { prompt: `[kubeup-sudo-prompt-${token}]`, ready: `[kubeup-sudo-ready-${token}]` };
}

// Prints the ready marker (passed as $1) on stderr, then becomes the command. The marker must not be $0: sh names
// its own errors after $0 ("<$0>: 1: exec: modprobe: not found"), which would put the marker into the message.
const READY_WRAPPER = 'printf "%s\\n" "$1" >&2; shift; exec "$@"';

export interface CommandShape {
  sudo?: SudoMode;
  /** Wrap in coreutils `timeout`: TERM after this long, KILL 5 s later, to the command's whole process group. */
  timeoutMs?: number;
}

/**
 * The command line for argv, under sudo and/or a remote timeout when asked. With either, raw fragments make the
 * whole line run in one `sh -c`, so sudo and the timeout cover all of it.
 */
export function buildCommand(argv: readonly CommandArg[], shape: CommandShape, markers: SudoMarkers): string {
  const sudo = shape.sudo === 'root' ? undefined : shape.sudo;
  if (!sudo && !shape.timeoutMs) return quoteArgv(argv);
  let command: CommandArg[] = argv.some(isShellRaw) ? ['sh', '-c', quoteArgv(argv)] : [...argv];
  // Inside sudo: sudo does not pass on signals from its own process group, and only root may signal root's command.
  if (shape.timeoutMs) command = ['timeout', '-k', '5', `${Math.max(shape.timeoutMs, 1) / 1000}`, ...command];
  if (sudo === 'nopasswd') command = ['sudo', '-n', '--', ...command];
  if (sudo === 'password') command = ['sudo', '-S', '-p', markers.prompt, '--', 'sh', '-c', READY_WRAPPER, 'sh', markers.ready, ...command];
  return quoteArgv(command);
}

export type SudoEvent = 'prompt' | 'ready';

/**
 * Removes sudo's prompt marker and the ready marker from stderr as it streams, and reports each one.
 * Text that could still become a marker is held back until the next chunk.
 */
export class SudoStderrFilter {
  private held = '';
  private readonly markers: string[];

  constructor(
    private readonly sudoMarkers: SudoMarkers,
    private readonly onEvent: (event: SudoEvent) => void,
  ) {
    this.markers = [`${sudoMarkers.ready}\n`, sudoMarkers.prompt];
  }

  /** Returns the stderr text that belongs to the command. */
  push(text: string): string {
    let input = this.held + text;
    let out = '';
    for (;;) {
      const hit = this.firstMarker(input);
      if (!hit) break;
      out += input.slice(0, hit.index);
      input = input.slice(hit.index + hit.marker.length);
      this.onEvent(hit.marker === this.sudoMarkers.prompt ? 'prompt' : 'ready');
    }
    const keep = this.partialMarkerLength(input);
    this.held = input.slice(input.length - keep);
    out += input.slice(0, input.length - keep);
    return out;
  }

  end(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }

  private firstMarker(text: string): { index: number; marker: string } | undefined {
    let best: { index: number; marker: string } | undefined;
    for (const marker of this.markers) {
      const index = text.indexOf(marker);
      if (index !== -1 && (!best || index < best.index)) best = { index, marker };
    }
    return best;
  }

  /** Length of the longest tail of text that is the start of a marker. */
  private partialMarkerLength(text: string): number {
    let longest = 0;
    for (const marker of this.markers) {
      for (let n = Math.min(marker.length - 1, text.length); n > longest; n--) {
        if (marker.startsWith(text.slice(text.length - n))) {
          longest = n;
          break;
        }
      }
    }
    return longest;
  }
}
