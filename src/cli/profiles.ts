// `kubeup profiles ...`: list, show, rm, export, import, import-env.
import { writeFileSync, renameSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { formatIssue, ProfileError, UsageError } from '../errors.js';
import { describeOutdated, importKubeUpEnv, readKubeUpConfig, withReplacements } from '../profile/kube-up-env.js';
import type { ProfileStore } from '../profile/store.js';
import { stringify } from 'yaml';
import { NotAFileError, readFileAtMost, TooLargeError } from '../read-bounded.js';
import { MAX_PROFILE_BYTES, profileToYaml, readProfileFile, YAML_HEADER } from '../profile/yaml.js';
import { requireValidProfile, validateProfile } from '../profile/validate.js';
import { formatHostRoles } from '../profile/describe.js';
import type { CliIo } from './io.js';

export interface ProfilesArgs {
  positionals: string[];
  name?: string;
  yes: boolean;
  force: boolean;
  envFile?: string;
  upgradeVersions: boolean;
}

export async function profilesCommand(args: ProfilesArgs, store: ProfileStore, io: CliIo): Promise<number> {
  const [sub, ...rest] = args.positionals;
  switch (sub) {
    case undefined:
    case 'list':
      return list(store, io);
    case 'show':
      io.out(profileToYaml(store.get(need(rest[0], 'show NAME'))));
      return 0;
    case 'rm':
    case 'remove':
      return remove(need(rest[0], 'rm NAME'), args, store, io);
    case 'export':
      return exportProfile(need(rest[0], 'export NAME [FILE]'), rest[1], store, io);
    case 'import':
      return importFile(need(rest[0], 'import FILE [--name N]'), args, store, io);
    case 'import-env':
      return importEnv(args, store, io);
    default:
      throw new UsageError(`unknown command "profiles ${sub}"`, { hint: 'use list, show, rm, export, import, import-env or edit' });
  }
}

function need(v: string | undefined, usage: string): string {
  if (!v) throw new UsageError(`missing argument: kubeup profiles ${usage}`);
  return v;
}

function list(store: ProfileStore, io: CliIo): number {
  const entries = store.list();
  if (entries.length === 0) {
    io.out('No saved profiles. Create one with `kubeup` (the wizard) or `kubeup profiles import FILE`.');
    return 0;
  }
  for (const e of entries) {
    if (e.ok) io.out(`${e.name}\t${e.profile.hosts.length} host${e.profile.hosts.length === 1 ? '' : 's'}\tKubernetes ${e.profile.versions.kubernetes}\t${formatHostRoles(e.profile)}`);
    else io.out(`${e.name}\tINVALID: ${e.issues.map(formatIssue).join('; ')}`);
  }
  return 0;
}

async function remove(name: string, args: ProfilesArgs, store: ProfileStore, io: CliIo): Promise<number> {
  if (!store.has(name)) store.get(name); // throws the helpful "no profile named" error
  if (!args.yes && !(await io.confirm(`Remove profile "${name}"? (its cluster state folder is kept)`, 'add --yes to remove it without asking'))) {
    io.out('Nothing removed.');
    return 0;
  }
  store.remove(name);
  io.out(`Removed profile "${name}".`);
  return 0;
}

function exportProfile(name: string, file: string | undefined, store: ProfileStore, io: CliIo): number {
  const text = exportText(name, store);
  if (!file || file === '-') {
    io.out(text);
    return 0;
  }
  // Write beside the target, then rename: a failed export never leaves half a file.
  const tmp = join(dirname(file), `.${basename(file)}.kubeup-tmp-${process.pid}`);
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, file);
  io.out(`Exported profile "${name}" to ${file}.`);
  return 0;
}

/**
 * The profile as YAML. One that no longer validates (hand-edited store, a rule added since) is exported as it is
 * stored, its problems listed in comments at the top, so that it can be fixed and imported again.
 */
function exportText(name: string, store: ProfileStore): string {
  const entry = store.list().find((e) => e.name === name);
  if (!entry) return profileToYaml(store.get(name)); // throws the helpful "no profile named" error
  if (entry.ok) return profileToYaml(entry.profile);
  const problems = entry.issues.map((i) => `#   - ${formatIssue(i).replace(/\n/g, ' ')}`);
  return [YAML_HEADER.trimEnd(), '# This profile does not validate; fix these, then `kubeup profiles import FILE --force`:', ...problems, stringify(store.getRaw(name), { lineWidth: 0 })].join('\n');
}

function refuseOverwrite(name: string, args: ProfilesArgs, store: ProfileStore): void {
  if (store.has(name) && !args.force) {
    throw new UsageError(`a profile named "${name}" already exists`, { hint: 'add --force to replace it, or --name NEW to import under another name' });
  }
}

function importFile(file: string, args: ProfilesArgs, store: ProfileStore, io: CliIo): number {
  const profile = readProfileFile(file, args.name);
  refuseOverwrite(profile.name, args, store);
  const path = store.save(profile);
  io.out(`Imported profile "${profile.name}" (${profile.hosts.length} hosts) into ${path}.`);
  return 0;
}

async function importEnv(args: ProfilesArgs, store: ProfileStore, io: CliIo): Promise<number> {
  let env: Record<string, string | undefined> = process.env;
  if (args.envFile) {
    const file = readKubeUpConfig(readEnvFile(args.envFile), args.envFile, process.env);
    for (const w of file.warnings) io.err(`warning: ${w}`);
    env = file.vars;
  }
  const name = args.name ?? 'kube-up';
  const imp = importKubeUpEnv(env, name);
  let input = imp.input;
  if (imp.outdated.length) {
    io.err('These kube-up versions are too old for kubeup:');
    for (const o of imp.outdated) io.err(`  - ${describeOutdated(o)}`);
    const consent =
      args.upgradeVersions ||
      (await io.confirm('Use the supported versions instead?', 'add --upgrade-versions to accept the supported versions listed above'));
    if (!consent) {
      throw new ProfileError('not imported: versions too old', imp.outdated.map((o) => ({ path: o.field, message: `${o.found} is too old`, hint: `use ${o.replacement}` })), {
        hint: 'set newer versions in the variables, or add --upgrade-versions',
      });
    }
    input = withReplacements(imp);
  }
  const result = validateProfile(input);
  for (const w of result.warnings) io.err(`warning: ${formatIssue(w)}`);
  const profile = requireValidProfile(input, 'from the kube-up variables');
  refuseOverwrite(profile.name, args, store);
  const path = store.save(profile);
  io.out(`Imported profile "${profile.name}" from kube-up variables into ${path}:`);
  io.out(profileToYaml(profile));
  return 0;
}

function readEnvFile(path: string): string {
  try {
    return readFileAtMost(path, MAX_PROFILE_BYTES).toString('utf8');
  } catch (e) {
    if (e instanceof TooLargeError) throw new UsageError(`${path} is larger than 1 MiB: not a kube-up config file`, { file: path });
    if (e instanceof NotAFileError) throw new UsageError(`${e.message}: not a kube-up config file`, { file: path });
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file: path });
  }
}
