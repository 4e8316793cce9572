// Reads the variable assignments of a kube-up config file (cluster/ubuntu/config-default.sh) without running it.
// The file is shell; kubeup understands the part of it that such files use:
//   [export] NAME=WORD [NAME=WORD ...]      export NAME [NAME ...]      comments, blank lines, `\` continuations
// where a WORD joins unquoted text, '...', "..." (with \" \\ \$ \` escapes) and the expansions $NAME, ${NAME},
// ${NAME:-WORD}, ${NAME-WORD}, ${NAME:=WORD}, ${NAME=WORD}. Values are looked up as the shell would: the environment
// first, then what the file assigned before; so `nodes=${nodes:-"..."}` takes the environment's nodes when it is set,
// and a plain assignment replaces it. Anything else (commands, $(...), backticks, arrays, arithmetic, if/for) is
// never executed: it is reported with its line number, and the line is skipped.

export interface UnreadableLine {
  line: number;
  text: string;
  reason: string;
  /** The variable the line assigns, when that much could be read. */
  variable?: string;
}

export interface ShellAssignments {
  /** The environment with the file's assignments applied, in order. */
  vars: Record<string, string>;
  /** Names the file assigned (whether or not the environment's value won). */
  assigned: Set<string>;
  unreadable: UnreadableLine[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

class Unreadable extends Error {}

/** A reader over one logical line. */
class Cursor {
  pos = 0;
  constructor(readonly text: string) {}
  get done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(n = 0): string {
    return this.text[this.pos + n] ?? '';
  }
  take(): string {
    return this.text[this.pos++] ?? '';
  }
}

type Lookup = (name: string) => string | undefined;

function readName(c: Cursor): string | undefined {
  const m = NAME.exec(c.text.slice(c.pos));
  if (!m) return undefined;
  c.pos += m[0].length;
  return m[0];
}

/** `$...` at the cursor (the `$` already taken). */
function readExpansion(c: Cursor, lookup: Lookup, assign: (name: string, value: string) => void): string {
  if (c.peek() === '{') {
    c.take();
    const name = readName(c);
    if (!name) throw new Unreadable('a ${...} expansion kubeup does not read');
    if (c.peek() === '}') {
      c.take();
      return lookup(name) ?? '';
    }
    const colon = c.peek() === ':';
    if (colon) c.take();
    const op = c.take();
    if (op !== '-' && op !== '=') throw new Unreadable(`the expansion \${${name}${colon ? ':' : ''}${op}...} (kubeup reads only :- and := defaults)`);
    const word = readWord(c, lookup, assign, '}');
    if (c.take() !== '}') throw new Unreadable(`\${${name}... has no closing }`);
    const current = lookup(name);
    const unset = current === undefined || (colon && current === '');
    if (!unset) return current;
    if (op === '=') assign(name, word);
    return word;
  }
  if (c.peek() === '(') throw new Unreadable('command substitution $(...) is not run');
  const name = readName(c);
  if (!name) {
    if (c.done || /[\s"]/.test(c.peek())) return '$';
    throw new Unreadable(`the special parameter $${c.peek()}`);
  }
  return lookup(name) ?? '';
}

/**
 * One shell word up to an unquoted space, `;`-free end, or `stop` (for the default part of ${X:-...}).
 * Throws Unreadable for what kubeup does not evaluate.
 */
function readWord(c: Cursor, lookup: Lookup, assign: (name: string, value: string) => void, stop?: string): string {
  let out = '';
  while (!c.done) {
    const ch = c.peek();
    if (stop !== undefined && ch === stop) break;
    if (stop === undefined && /\s/.test(ch)) break;
    c.take();
    switch (ch) {
      case "'": {
        const end = c.text.indexOf("'", c.pos);
        if (end < 0) throw new Unreadable('a quote (\') is not closed');
        out += c.text.slice(c.pos, end);
        c.pos = end + 1;
        break;
      }
      case '"': {
        for (;;) {
          if (c.done) throw new Unreadable('a quote (") is not closed');
          const d = c.take();
          if (d === '"') break;
          if (d === '\\' && /["\\$`]/.test(c.peek())) out += c.take();
          else if (d === '$') out += readExpansion(c, lookup, assign);
          else if (d === '`') throw new Unreadable('command substitution `...` is not run');
          else out += d;
        }
        break;
      }
      case '\\':
        out += c.take();
        break;
      case '$':
        out += readExpansion(c, lookup, assign);
        break;
      case '`':
        throw new Unreadable('command substitution `...` is not run');
      case '(':
        throw new Unreadable('an array or subshell (...) is not read');
      case ';':
      case '&':
      case '|':
      case '<':
      case '>':
        throw new Unreadable(`"${ch}" (a command list, pipe or redirection) is not run`);
      default:
        out += ch;
    }
  }
  return out;
}

/** Logical lines: `\` at the end joins the next one; each keeps the number of its first physical line. */
function logicalLines(text: string): { line: number; text: string }[] {
  const physical = text.replace(/\r\n?/g, '\n').split('\n');
  const out: { line: number; text: string }[] = [];
  for (let i = 0; i < physical.length; i++) {
    const start = i;
    let t = physical[i]!;
    while (/(^|[^\\])(\\\\)*\\$/.test(t) && i + 1 < physical.length) t = t.slice(0, -1) + physical[++i]!;
    out.push({ line: start + 1, text: t });
  }
  return out;
}

/** Removes a comment: `#` at the start of a word, outside quotes. */
function stripComment(t: string): string {
  let quote: string | undefined;
  for (let i = 0; i < t.length; i++) {
    const ch = t[i]!;
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === '\\') i++;
    else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(t[i - 1]!))) return t.slice(0, i);
  }
  return t;
}

export function readShellAssignments(text: string, env: Readonly<Record<string, string | undefined>>): ShellAssignments {
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) vars[k] = v;
  const assigned = new Set<string>();
  const unreadable: UnreadableLine[] = [];
  const lookup: Lookup = (name) => (Object.hasOwn(vars, name) ? vars[name] : undefined);
  if (text.includes('\0')) {
    return { vars, assigned, unreadable: [{ line: 1, text: '', reason: 'the file holds NUL bytes: it is not a shell script' }] };
  }
  for (const { line, text: raw } of logicalLines(text)) {
    const body = stripComment(raw).trim();
    if (body === '') continue;
    const c = new Cursor(body);
    const before = { ...vars };
    const pending: [string, string][] = [];
    let variable: string | undefined;
    try {
      let exportOnly = false;
      if (/^export(\s|$)/.test(body)) {
        c.pos = 'export'.length;
        exportOnly = true;
      }
      for (;;) {
        while (/\s/.test(c.peek())) c.take();
        if (c.done) break;
        const name = readName(c);
        if (!name) throw new Unreadable('this is not a variable assignment');
        variable = name;
        if (c.peek() !== '=') {
          // `export NAME` marks a variable for export; a bare word is a command, which kubeup does not run.
          if (!exportOnly || (!c.done && !/\s/.test(c.peek()))) throw new Unreadable(`"${name}" is a command, and kubeup runs none`);
          continue;
        }
        c.take();
        // Assignments on one line take effect left to right, as in the shell.
        const value = readWord(c, lookup, (n, v) => (vars[n] = v));
        vars[name] = value;
        pending.push([name, value]);
      }
      for (const [name] of pending) assigned.add(name);
    } catch (e) {
      if (!(e instanceof Unreadable)) throw e;
      // Nothing of a line kubeup cannot read takes effect.
      for (const k of Object.keys(vars)) if (!Object.hasOwn(before, k)) delete vars[k];
      Object.assign(vars, before);
      unreadable.push({ line, text: raw.trim(), reason: e.message, ...(variable && { variable }) });
    }
  }
  return { vars, assigned, unreadable };
}
