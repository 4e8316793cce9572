// Golden files: every file rendered for the three-host profile (roles ai, i, i) as `kubeup render --out DIR` writes
// it, compared byte for byte with test/fixtures/render/three-hosts/. After an intended change, regenerate with
//   UPDATE_GOLDEN=1 npx vitest run test/unit/render/golden.test.ts
// and review the diff.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRendered } from '../../../src/plan/index.js';
import { FIXTURES, loadProfile, planFor, realisticFacts } from './helpers.js';

const GOLDEN = join(FIXTURES, 'render', 'three-hosts');
const update = process.env.UPDATE_GOLDEN === '1';

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

describe('golden files for the three-host profile', () => {
  const profile = loadProfile('three-hosts');
  const rendered = writeRendered(planFor(profile, realisticFacts(profile)));
  const expected = new Map(rendered.map((f) => [join(f.hostDir, f.path), f]));

  if (update) {
    rmSync(GOLDEN, { recursive: true, force: true });
    for (const [rel, f] of expected) {
      mkdirSync(dirname(join(GOLDEN, rel)), { recursive: true });
      writeFileSync(join(GOLDEN, rel), f.content);
    }
  }

  it('renders exactly the files the fixture holds', () => {
    const onDisk = listFiles(GOLDEN).map((p) => relative(GOLDEN, p)).sort();
    expect(onDisk.length, `no golden files in ${GOLDEN}: run with UPDATE_GOLDEN=1`).toBeGreaterThan(0);
    expect(onDisk).toEqual([...expected.keys()].sort());
  });

  for (const [rel, f] of expected) {
    it(`${rel} matches the golden file`, () => {
      const path = join(GOLDEN, rel);
      expect(existsSync(path), `${path} is missing: run with UPDATE_GOLDEN=1 and review`).toBe(true);
      expect(f.content).toBe(readFileSync(path, 'utf8'));
    });
  }

  it('every text file starts with the kubeup header and no timestamp; JSON files are plain JSON', () => {
    for (const f of rendered) {
      if (f.path.endsWith('.json') || f.path.endsWith('.conflist')) {
        expect(() => JSON.parse(f.content), f.path).not.toThrow();
      } else {
        // A script's first line is its #! line; the header comes right after it.
        const lines = f.content.split('\n');
        expect(lines[0]!.startsWith('#!') ? lines[1] : lines[0], f.path).toBe('# managed by kubeup — profile golden');
      }
      expect(f.content, f.path).not.toMatch(/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/);
      expect(f.content.endsWith('\n'), f.path).toBe(true);
    }
  });
});
