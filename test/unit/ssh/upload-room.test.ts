import { describe, expect, it } from 'vitest';
import { ENCODED_SLACK_BYTES, roomFor } from '../../../src/ssh/upload.js';

describe('roomFor (is there room on the host for a compressed upload?)', () => {
  it('compares the free bytes of the stat -f line with what is needed plus the slack', () => {
    const need = 10 * 1024 * 1024;
    const blocks = (need + ENCODED_SLACK_BYTES) / 4096;
    expect(roomFor(`${blocks} 4096`, need)).toBe(true);
    expect(roomFor(`${blocks - 1} 4096`, need)).toBe(false);
  });

  it('does not guess when the host could not say', () => {
    expect(roomFor('?', 1e9)).toBe(true);
    expect(roomFor('', 1e9)).toBe(true);
  });
});
