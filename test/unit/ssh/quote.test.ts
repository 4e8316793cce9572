import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayArgv, quoteArgv, shRaw } from '../../../src/ssh/quote.js';

// Runs `printf '%s\0' <quoted argv>` in a real local shell and splits the output back into words.
function roundTrip(shell: string, argv: string[]): string[] {
  const out = execFileSync(shell, ['-c', quoteArgv([shRaw("printf '%s\\0'"), ...argv])], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

const arg = fc.string({ unit: fc.oneof(fc.constantFrom(..."'\"\\$`!*?[]{}()<>|&;#~= \t\n%@:,.-_"), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })) })
  .filter((s) => !s.includes('\0'));

describe('quoteArgv', () => {
  it('keeps every argument one word, byte for byte, in dash', () => {
    fc.assert(fc.property(fc.array(arg, { minLength: 1, maxLength: 6 }), (argv) => {
      expect(roundTrip('sh', argv)).toEqual(argv);
    }), { numRuns: 300 });
  });

  it('keeps every argument one word in bash too', () => {
    fc.assert(fc.property(fc.array(arg, { minLength: 1, maxLength: 6 }), (argv) => {
      expect(roundTrip('bash', argv)).toEqual(argv);
    }), { numRuns: 100 });
  });

  it('round-trips the tricky cases explicitly', () => {
    const argv = ['', "'", "it's", '$(id)', '`id`', 'a b', 'line1\nline2', '*', '~', 'FOO=bar', '-n', '\\'];
    expect(roundTrip('sh', argv)).toEqual(argv);
  });

  it('leaves plain words readable and quotes the rest', () => {
    expect(quoteArgv(['systemctl', 'restart', 'kube-apiserver.service'])).toBe('systemctl restart kube-apiserver.service');
    expect(quoteArgv(['echo', "it's"])).toBe(`echo 'it'\\''s'`);
    expect(quoteArgv(['FOO=bar'])).toBe("'FOO=bar'");
    expect(quoteArgv(['echo', ''])).toBe("echo ''");
  });

  it('passes shRaw fragments through unquoted', () => {
    expect(quoteArgv(['cat', '/etc/os-release', shRaw('| head -1')])).toBe('cat /etc/os-release | head -1');
    expect(displayArgv(['ls', shRaw('2>&1'), 'a b'])).toEqual(['ls', '2>&1', "'a b'"]);
  });

  it('refuses NUL bytes, which no shell argument can hold', () => {
    expect(() => quoteArgv(['a\0b'])).toThrow(/NUL/);
  });
});
