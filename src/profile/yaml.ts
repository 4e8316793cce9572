// Profiles as YAML files: the format people read, edit, diff and share.
import { readFileSync } from 'node:fs';
import { parseDocument, stringify } from 'yaml';
import { ProfileError } from '../errors.js';
import type { Profile } from './types.js';
import { requireValidProfile } from './validate.js';

export const YAML_HEADER = '# kubeup profile: see `kubeup --help` and the README for every field.\n';

export function profileToYaml(profile: Profile): string {
  return YAML_HEADER + stringify(profile, { lineWidth: 0 });
}

/** Parses YAML text; syntax errors name the file, line and column. */
export function parseProfileYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new ProfileError(`${source} is not valid YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${e.message.split('\n')[0]}`, [], {
      file: source,
      hint: 'fix the YAML syntax (indentation, colons, quotes)',
    });
  }
  return doc.toJS();
}

export function readProfileFile(path: string, nameOverride?: string): Profile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ProfileError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, [], { file: path, hint: 'check the path' });
  }
  const raw = parseProfileYaml(text, path);
  const withName = nameOverride !== undefined && raw && typeof raw === 'object' ? { ...(raw as object), name: nameOverride } : raw;
  return requireValidProfile(withName, path);
}
