// runWizard itself: it refuses to start without a terminal, and with one it mounts, resolves, and gives the
// terminal back (raw mode off again).
import { EventEmitter } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { NeedsTerminalError } from '../../src/errors.js';
import { runWizard } from '../../components/wizard/index.js';

/** Just enough of a TTY stdin for Ink: raw mode calls are recorded, keys are pushed with press(). */
class FakeTtyIn extends EventEmitter {
  isTTY = true;
  rawModes: boolean[] = [];
  private queue: string[] = [];
  setRawMode(on: boolean) {
    this.rawModes.push(on);
    return this;
  }
  setEncoding() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read(): string | null {
    return this.queue.shift() ?? null;
  }
  press(data: string) {
    this.queue.push(data);
    this.emit('readable');
  }
}

class FakeTtyOut extends Writable {
  isTTY = true;
  columns = 80;
  rows = 24;
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('runWizard', () => {
  it('refuses to start when stdin is not a terminal, and says what to do instead', async () => {
    const stdin = new PassThrough() as unknown as NodeJS.ReadStream;
    const error = await runWizard({ existingNames: [], save: async () => 'x', stdin }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NeedsTerminalError);
    expect((error as NeedsTerminalError).hint).toContain('kubeup up --profile NAME --yes');
  });

  it('resolves with the result and leaves raw mode when the wizard ends', async () => {
    const stdin = new FakeTtyIn();
    const stdout = new FakeTtyOut();
    const result = runWizard({
      existingNames: [],
      save: async () => 'x',
      stdin: stdin as unknown as NodeJS.ReadStream,
      stdout: stdout as unknown as NodeJS.WriteStream,
    });
    await until(() => stdout.text.includes('No hosts yet'), 'the first step');
    stdin.press('\u0003'); // Ctrl-C with nothing typed: cancel at once
    await expect(result).resolves.toEqual({ cancelled: true });
    expect(stdout.text).toContain('Setup cancelled; nothing was saved.');
    expect(stdin.rawModes[0]).toBe(true);
    expect(stdin.rawModes.at(-1)).toBe(false);
  });
});
