// A one-line text field that takes keys the way a terminal delivers them: several characters can arrive in one read
// (fast typing, a paste, a held Backspace), and every one of them takes effect, in order. ink-text-input treats a
// read as one key, so three Backspaces in one write deleted nothing. Render and keys only; the value is the caller's.
import React, { useEffect, useState } from 'react';
import { Text, useInput } from 'ink';
import { theme } from '../theme.js';

/** Applies a chunk of terminal input to (value, cursor): printable text is inserted, DEL and BS delete back. */
export function applyTextInput(value: string, cursor: number, input: string): { value: string; cursor: number } {
  let v = value;
  let c = Math.max(0, Math.min(cursor, v.length));
  for (const ch of input) {
    if (ch === '\x7f' || ch === '\b') {
      if (c > 0) {
        // One user-visible character: a surrogate pair goes as a whole.
        const cut = c >= 2 && /[\uDC00-\uDFFF]/.test(v[c - 1]!) && /[\uD800-\uDBFF]/.test(v[c - 2]!) ? 2 : 1;
        v = v.slice(0, c - cut) + v.slice(c);
        c -= cut;
      }
      // eslint-disable-next-line no-control-regex
    } else if (!/[\u0000-\u001f\u007f-\u009f]/.test(ch)) {
      v = v.slice(0, c) + ch + v.slice(c);
      c += ch.length;
    }
  }
  return { value: v, cursor: c };
}

export interface TextFieldProps {
  readonly value: string;
  readonly placeholder?: string;
  readonly focus: boolean;
  onChange(value: string): void;
}

export function TextField({ value, placeholder, focus, onChange }: TextFieldProps) {
  const [cursor, setCursor] = useState(value.length);
  // A value changed from outside (user@address split off, a reset) puts the cursor at its end.
  useEffect(() => setCursor((c) => (c > value.length ? value.length : c)), [value]);
  useInput(
    (input, key) => {
      // Moving between rows, Enter, Esc and Ctrl-C belong to the form.
      if (key.upArrow || key.downArrow || key.tab || key.return || key.escape || key.pageUp || key.pageDown || (key.ctrl && input === 'c')) return;
      if (key.leftArrow) return setCursor((c) => Math.max(0, c - 1));
      if (key.rightArrow) return setCursor((c) => Math.min(value.length, c + 1));
      if (key.home) return setCursor(0);
      if (key.end) return setCursor(value.length);
      // A single Backspace arrives as key.delete (DEL, 0x7f) or key.backspace (BS); a run of them as raw input.
      const text = key.backspace || key.delete ? '\x7f' : input;
      const next = applyTextInput(value, cursor, text);
      setCursor(next.cursor);
      if (next.value !== value) onChange(next.value);
    },
    { isActive: focus },
  );
  if (value === '' && placeholder) return <Text {...theme.placeholder}>{placeholder}</Text>;
  const c = Math.min(cursor, value.length);
  return (
    <Text>
      {value.slice(0, c)}
      <Text inverse>{value[c] ?? ' '}</Text>
      {value.slice(c + 1)}
    </Text>
  );
}
