// plan/ and render/ are pure: no I/O, no clock, no randomness, no environment. Checked on the source itself, so a
// later edit that reaches for one of them fails here rather than making plans differ between runs.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src');
const FORBIDDEN: [RegExp, string][] = [
  [/from ['"]node:/, 'a Node built-in module'],
  [/from ['"](fs|os|path|child_process|net|http|https|crypto)['"]/, 'a Node built-in module'],
  [/\bDate\b/, 'the clock'],
  [/\bperformance\./, 'the clock'],
  [/Math\.random/, 'randomness'],
  [/\bprocess\./, 'the process environment'],
  [/from ['"]\.\.\/(ssh|provision|release|tasks|verify|cli)\//, 'a module that does I/O'],
];

describe('plan and render stay pure', () => {
  for (const dir of ['plan', 'render']) {
    const files = readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.ts'));
    it(`src/${dir}: ${files.length} modules, none uses I/O, the clock, randomness or the environment`, () => {
      expect(files.length).toBeGreaterThan(3);
      const found: string[] = [];
      for (const f of files) {
        const text = readFileSync(join(ROOT, dir, f), 'utf8');
        for (const [pattern, what] of FORBIDDEN) if (pattern.test(text)) found.push(`src/${dir}/${f} uses ${what} (${pattern})`);
      }
      expect(found).toEqual([]);
    });
  }
});
