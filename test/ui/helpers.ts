// Drives an Ink tree under ink-testing-library with real key presses. Every render, key press and unmount runs
// inside React's act(), or key presses are lost; waiting is always for a frame's content, never a fixed time.
import { act, type ReactElement } from 'react';
import { render } from 'ink-testing-library';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

export const KEYS = {
  up: '\u001B[A',
  down: '\u001B[B',
  right: '\u001B[C',
  left: '\u001B[D',
  enter: '\r',
  escape: '\u001B',
  tab: '\t',
  shiftTab: '\u001B[Z',
  space: ' ',
  backspace: '\u007F',
  ctrlC: '\u0003',
  pageDown: '\u001B[6~',
  pageUp: '\u001B[5~',
} as const;

export type Rendered = ReturnType<typeof render>;

export async function mount(tree: ReactElement): Promise<Rendered> {
  let app: Rendered | undefined;
  await act(async () => {
    app = render(tree);
  });
  return app!;
}

/** Lets pending timers and renders run inside act(). */
async function settle(): Promise<void> {
  await act(async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
  });
}

/** Presses one key (or a sequence such as KEYS.down), `times` times, each as its own write. */
export async function press(app: Rendered, key: string, times = 1): Promise<void> {
  for (let i = 0; i < times; i++) {
    await act(async () => {
      app.stdin.write(key);
    });
    // A lone Esc is only delivered once Ink is sure no sequence follows (a setImmediate later).
    await settle();
  }
}

/** Types text as one paste-like write, the way a terminal delivers typed characters. */
export async function typeText(app: Rendered, text: string): Promise<void> {
  await act(async () => {
    app.stdin.write(text);
  });
  await settle();
}

/** Polls lastFrame() until it contains `text` (or matches it); fails with the last frame seen. */
export async function waitForFrame(app: Rendered, text: string | RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = app.lastFrame() ?? '';
    if (typeof text === 'string' ? frame.includes(text) : text.test(frame)) return frame;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${String(text)} in the frame:\n${frame}`);
    }
    await settle();
  }
}

export async function unmount(app: Rendered): Promise<void> {
  await act(async () => {
    app.unmount();
  });
}

/** The line of the frame that holds `text`, e.g. to read the value next to a label. */
export function lineWith(frame: string, text: string): string {
  const line = frame.split('\n').find((l) => l.includes(text));
  if (line === undefined) throw new Error(`no line with ${JSON.stringify(text)} in the frame:\n${frame}`);
  return line;
}
