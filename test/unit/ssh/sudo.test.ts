import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shRaw } from '../../../src/ssh/quote.js';
import { buildCommand, newSudoMarkers, SudoStderrFilter, type SudoEvent } from '../../../src/ssh/sudo.js';

const markers = { prompt: '[P-1]', ready: '[R-1]' };

describe('buildCommand', () => {
  it('runs plain for root and without sudo', () => {
    expect(buildCommand(['id', '-u'], {}, markers)).toBe('id -u');
    expect(buildCommand(['id', '-u'], { sudo: 'root' }, markers)).toBe('id -u');
  });

  it('uses sudo -n for NOPASSWD and wraps raw fragments so sudo covers the whole line', () => {
    expect(buildCommand(['id', '-u'], { sudo: 'nopasswd' }, markers)).toBe('sudo -n -- id -u');
    expect(buildCommand(['cat', '/x', shRaw('| head')], { sudo: 'nopasswd' }, markers)).toBe("sudo -n -- sh -c 'cat /x | head'");
  });

  it('uses sudo -S with the prompt marker and a ready marker before the command', () => {
    expect(buildCommand(['id'], { sudo: 'password' }, markers)).toBe(
      `sudo -S -p '[P-1]' -- sh -c 'printf "%s\\n" "$1" >&2; shift; exec "$@"' sh '[R-1]' id`,
    );
  });

  it('wraps in coreutils timeout, inside sudo so that it may signal root processes', () => {
    expect(buildCommand(['sleep', '9'], { timeoutMs: 1500 }, markers)).toBe('timeout -k 5 1.5 sleep 9');
    expect(buildCommand(['sleep', '9'], { timeoutMs: 2000, sudo: 'nopasswd' }, markers)).toBe('sudo -n -- timeout -k 5 2 sleep 9');
  });

  it('produces a wrapper that really prints the ready marker and then runs the command', () => {
    // Run the part after `sudo -S -p X --` locally, without sudo.
    const line = buildCommand(['printf', '%s', "it's"], { sudo: 'password' }, markers);
    const inner = line.slice(line.indexOf(' -- ') + 4);
    const out = execFileSync('sh', ['-c', `${inner} 2>&1`], { encoding: 'utf8' });
    expect(out).toBe("[R-1]\nit's");
  });

  it('keeps the ready marker out of the shell\'s own error when the command is missing', () => {
    // sh names its errors after $0: `<$0>: 1: exec: modprobe: not found`. Seen on sudo hosts as
    // `[kubeup-sudo-ready-…]: 1: exec: modprobe: not found`.
    const line = buildCommand(['kubeup-no-such-command-x'], { sudo: 'password' }, markers);
    const inner = line.slice(line.indexOf(' -- ') + 4);
    let stderr = '';
    try {
      execFileSync('sh', ['-c', inner], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      stderr = String((e as { stderr: string }).stderr);
    }
    const filtered = new SudoStderrFilter(markers, () => {}).push(stderr);
    expect(filtered).toMatch(/kubeup-no-such-command-x/);
    expect(filtered).not.toContain('[R-1]');
  });

  it('makes fresh random markers per session', () => {
    const a = newSudoMarkers();
    const b = newSudoMarkers();
    expect(a.prompt).not.toBe(b.prompt);
    expect(a.ready).toMatch(/^\[kubeup-sudo-ready-[0-9a-f]{24}\]$/);
  });
});

describe('SudoStderrFilter', () => {
  const run = (chunks: string[]) => {
    const events: SudoEvent[] = [];
    const filter = new SudoStderrFilter(markers, (e) => events.push(e));
    const out = chunks.map((c) => filter.push(c)).join('') + filter.end();
    return { out, events };
  };

  it('removes the prompt and the ready line and reports them in order', () => {
    expect(run(['[P-1][R-1]\nwarning: x\n'])).toEqual({ out: 'warning: x\n', events: ['prompt', 'ready'] });
  });

  it('finds markers split across chunks, one character at a time', () => {
    const text = 'before\n[P-1]Sorry, try again.\n[P-1]';
    expect(run([...text])).toEqual({ out: 'before\nSorry, try again.\n', events: ['prompt', 'prompt'] });
  });

  it('holds back only what could still be a marker', () => {
    const events: SudoEvent[] = [];
    const filter = new SudoStderrFilter(markers, (e) => events.push(e));
    expect(filter.push('abc[P')).toBe('abc');
    expect(filter.push('x')).toBe('[Px');
    expect(filter.end()).toBe('');
    expect(events).toEqual([]);
  });
});
