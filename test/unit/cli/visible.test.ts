// What the CLI prints is text: control and invisible format characters from input are written out, not obeyed.
import { describe, expect, it } from 'vitest';
import { visible } from '../../../src/cli/io.js';

describe('visible', () => {
  it('writes out control and format characters, keeping newlines, tabs and ordinary Unicode', () => {
    expect(visible('a\x1b]0;x\x07b\u200bc\r')).toBe('a\\u{1b}]0;x\\u{7}b\\u{200b}c\\u{d}');
    expect(visible('\u202egnp.exe \x9b31m')).toBe('\\u{202e}gnp.exe \\u{9b}31m');
    expect(visible('line 1\n\tline 2: café ☕ 集群 😀 e\u0301')).toBe('line 1\n\tline 2: café ☕ 集群 😀 e\u0301');
  });
});
