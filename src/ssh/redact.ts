// Replaces secret strings in text that may reach a log, a screen or an error.

export const REDACTED = '[redacted]';

/** A function that hides every given secret; empty strings are ignored. Longest first, so overlapping secrets go. */
export function redactor(secrets: readonly (string | undefined)[]): (text: string) => string {
  const list = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length > 0))].sort((a, b) => b.length - a.length);
  if (list.length === 0) return (text) => text;
  return (text) => list.reduce((out, secret) => out.split(secret).join(REDACTED), text);
}
