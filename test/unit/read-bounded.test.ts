// Files the user names are read up to a bound, and only regular files: /dev/zero once filled the memory.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotAFileError, readFileAtMost, TooLargeError } from '../../src/read-bounded.js';
import { readProfileFile } from '../../src/profile/yaml.js';
import { ProfileError } from '../../src/errors.js';

describe('readFileAtMost', () => {
  it('reads a regular file, refuses a device, a folder and a file past the bound', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeup-bounded-'));
    try {
      writeFileSync(join(dir, 'a'), 'abc');
      expect(readFileAtMost(join(dir, 'a'), 3).toString()).toBe('abc');
      expect(() => readFileAtMost(join(dir, 'a'), 2)).toThrow(TooLargeError);
      expect(() => readFileAtMost(dir, 10)).toThrow(NotAFileError);
      expect(() => readFileAtMost('/dev/zero', 10)).toThrow(/is not a regular file/);
      const err = (() => {
        try {
          readProfileFile('/dev/zero');
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ProfileError);
      expect((err as Error).message).toBe('/dev/zero is not a regular file (a device, pipe or socket)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
