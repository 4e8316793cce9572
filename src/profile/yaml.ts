// Profiles as YAML files: the format people read, edit, diff and share.
import { NotAFileError, readFileAtMost, TooLargeError } from '../read-bounded.js';
import { parseDocument, stringify } from 'yaml';
import { ProfileError } from '../errors.js';
import type { Profile } from './types.js';
import { requireValidProfile } from './validate.js';

export const YAML_HEADER = '# kubeup profile: see `kubeup --help` and the README for every field.\n';

export function profileToYaml(profile: Profile): string {
  return YAML_HEADER + stringify(profile, { lineWidth: 0 });
}

/** Larger than any profile a person writes: refused before parsing, so a wrong file cannot exhaust memory. */
export const MAX_PROFILE_BYTES = 1024 * 1024;

function yamlError(source: string, reason: string, hint = 'fix the YAML syntax (indentation, colons, quotes)'): ProfileError {
  return new ProfileError(`${source} is not valid YAML: ${reason}`, [], { file: source, hint });
}

/**
 * Parses YAML text. Whatever the parser refuses (syntax, duplicate keys, an alias without its anchor, too many
 * aliases, nesting too deep, a tag it does not know) is a ProfileError that names the file, the place and the reason.
 */
export function parseProfileYaml(text: string, source: string): unknown {
  if (text.includes('\0')) throw yamlError(source, 'it holds NUL bytes, so it is not a text file', 'give the path of a YAML profile (see kubeup profiles export)');
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const problem = doc.errors[0] ?? doc.warnings[0];
  // The parser recurses per level: a file nested thousands deep exhausts its stack, which is no syntax error.
  if (problem && /call stack/i.test(problem.message)) throw yamlError(source, 'it nests too deeply (thousands of levels)', 'a profile nests a few levels: check that this is the profile you meant');
  if (problem) {
    const pos = problem.linePos?.[0];
    const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
    throw new ProfileError(`${source} is not valid YAML${where}: ${problem.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, [], {
      file: source,
      hint: 'fix the YAML syntax (indentation, colons, quotes)',
    });
  }
  try {
    // A profile needs no aliases; a few are fine, thousands are an attack (billion laughs).
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    if (e instanceof RangeError) throw yamlError(source, 'it nests too deeply (thousands of levels)', 'a profile nests a few levels: check that this is the profile you meant');
    throw yamlError(source, (e as Error).message, 'write the values out instead of using anchors (&) and aliases (*)');
  }
}

export function readProfileFile(path: string, nameOverride?: string): Profile {
  let buf: Buffer;
  try {
    buf = readFileAtMost(path, MAX_PROFILE_BYTES);
  } catch (e) {
    if (e instanceof TooLargeError) {
      throw new ProfileError(`${path} is larger than ${MAX_PROFILE_BYTES / 1024 / 1024} MiB, far more than a profile`, [], { file: path, hint: 'check the path: it should be a YAML profile' });
    }
    if (e instanceof NotAFileError) throw new ProfileError(e.message, [], { file: path, hint: 'give the path of a YAML profile (see kubeup profiles export)' });
    throw new ProfileError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, [], { file: path, hint: 'check the path' });
  }
  if (buf.includes(0)) throw yamlError(path, 'it holds NUL bytes, so it is not a text file', 'give the path of a YAML profile (see kubeup profiles export)');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw yamlError(path, 'it is not UTF-8 text', 'give the path of a YAML profile (see kubeup profiles export)');
  }
  const raw = parseProfileYaml(text, path);
  const withName = nameOverride !== undefined && raw && typeof raw === 'object' ? { ...(raw as object), name: nameOverride } : raw;
  return requireValidProfile(withName, path);
}
