import { describe, expect, it } from 'vitest';
import { redactor } from '../../../src/ssh/redact.js';

describe('redactor', () => {
  it('hides every occurrence of every secret, longest first', () => {
    const hide = redactor(['abc', 'abcdef', undefined, '']);
    expect(hide('x abcdef y abc z abcabc')).toBe('x [redacted] y [redacted] z [redacted][redacted]');
  });

  it('treats secrets as plain text, not patterns', () => {
    expect(redactor(['a.c$'])('abc a.c$')).toBe('abc [redacted]');
  });

  it('leaves text alone without secrets', () => {
    expect(redactor([])('text')).toBe('text');
  });
});
