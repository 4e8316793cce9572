import { describe, expect, it } from 'vitest';
import { ChannelLimiter } from '../../../src/ssh/limiter.js';
import { LineSplitter } from '../../../src/ssh/lines.js';

describe('ChannelLimiter', () => {
  it('never runs more than max tasks at once, and runs them all', async () => {
    const limiter = new ChannelLimiter(3);
    let running = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    const tasks = Array.from({ length: 10 }, (_, i) =>
      limiter.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
        return i;
      }),
    );
    while (releases.length < 10) {
      await new Promise((r) => setImmediate(r));
      expect(running).toBeLessThanOrEqual(3);
      releases.splice(0).forEach((release) => release());
      if (releases.length === 0 && running === 0) break;
    }
    expect(await Promise.all(tasks)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak).toBe(3);
    expect(limiter.inUse).toBe(0);
  });

  it('frees the slot when a task fails', async () => {
    const limiter = new ChannelLimiter(1);
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await limiter.run(async () => 'next')).toBe('next');
  });

  it('refuses a limit below 1', () => {
    expect(() => new ChannelLimiter(0)).toThrow(RangeError);
  });
});

describe('LineSplitter', () => {
  it('emits whole lines across chunks, keeps split UTF-8 characters, strips CR, flushes the tail', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((l) => lines.push(l));
    const bytes = Buffer.from('héllo\r\nwörld\nlast');
    for (const b of bytes) splitter.push(Buffer.from([b]));
    expect(lines).toEqual(['héllo', 'wörld']);
    splitter.end();
    expect(lines).toEqual(['héllo', 'wörld', 'last']);
  });
});
