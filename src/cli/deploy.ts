// `kubeup up | plan | render | down`. Loaded lazily by cli.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { addonManifestFiles } from '../addons/index.js';
import { UsageError } from '../errors.js';
import { assumedFacts, buildPlan, formatPlan, writeRendered } from '../plan/index.js';
import { describeManifest, releaseManifest, unverifiableWarning } from '../release/index.js';
import type { ProfileStore } from '../profile/store.js';
import type { Profile } from '../profile/types.js';
import { readProfileFile } from '../profile/yaml.js';
import type { CliIo } from './io.js';
import { applySshConfig, DEFAULT_SSH_CONFIG } from '../tasks/ssh-targets.js';
import type { CliValues } from '../cli.js';

export function loadProfile(values: CliValues, store: ProfileStore): Profile {
  if (values.profile && values.file) throw new UsageError('give either --profile or --file, not both');
  if (values.profile) return store.get(values.profile);
  if (values.file) return readProfileFile(values.file);
  throw new UsageError('which cluster? add --profile NAME (see `kubeup profiles list`) or --file profile.yaml');
}

export async function deployCommand(command: string, rest: string[], values: CliValues, store: ProfileStore, io: CliIo): Promise<number> {
  const stored = loadProfile(values, store);
  if (command === 'cache') return prepareCacheCommand(stored, values.arch, io);
  // Aliases, users, ports, keys and ProxyJump from ~/.ssh/config, for everything that reaches or names a host.
  const { profile, notes } = applySshConfig(stored);
  if (command === 'render') return renderToDir(profile, values.out, io);
  if (command === 'addons') return (await import('./addons.js')).addonsApplyCommand(profile, io);
  // upgrade saves the profile it is given (the new version): the stored one, whose aliases must stay.
  if (command === 'upgrade') return (await import('./upgrade.js')).upgradeCommand(profile, stored, values, store, io);
  if (values['dry-run'] || (command === 'plan' && values.offline)) return describeDeploy(profile, io, true, notes);
  if (command === 'plan' || command === 'status' || command === 'remove-node') {
    const day2 = await import('./day2.js');
    if (command === 'plan') {
      printSshConfigNotes(profile, notes, io);
      const code = await day2.planCommand(profile, values, io);
      await (await import('./upgrade.js')).upgradePreview(profile, values, io);
      return code;
    }
    if (command === 'status') return day2.statusCommand(profile, values, io);
    // remove-node saves the profile it is given: the stored one, whose aliases must stay.
    return day2.removeNodeCommand(stored, rest[0], values, store, io);
  }
  // A changed versions block takes the upgrade's path (in order, drained, resumable) before up converges the rest.
  if (command === 'up' && (await (await import('./upgrade.js')).upgradeFirst(profile, values, io)) === 'declined') {
    io.out('Nothing done.');
    return 0;
  }
  const { runDeployCommand } = await import('./run.js');
  return runDeployCommand(command as 'up' | 'down', profile, values, store, io, stored);
}

/** What ~/.ssh/config gave the hosts (applySshConfig's notes), so a plan says where each address came from. */
function printSshConfigNotes(profile: Profile, notes: readonly string[], io: CliIo): void {
  if (notes.length) io.out(['', `From the SSH config (${profile.ssh.configFile ?? DEFAULT_SSH_CONFIG}; the profile's own fields win):`, ...notes.map((n) => `  ${n}`), ''].join('\n'));
}

const ASSUMPTION =
  'Nothing was contacted: the plan assumes amd64 hosts named by their node name (or address). A real run learns each host\'s architecture and host name first.';

/** The plan, and with `withFiles` every rendered file, as `--dry-run` prints it. */
export async function describeDeploy(profile: Profile, io: CliIo, withFiles = false, fromSshConfig: readonly string[] = []): Promise<number> {
  const plan = buildPlan(profile, assumedFacts(profile));
  const warning = unverifiableWarning(profile);
  if (warning) io.out(warning);
  io.out(formatPlan(plan));
  io.out(['Release files (amd64) and where their sha256 comes from:', ...describeManifest(releaseManifest(profile, ['amd64'])).map((l) => `  ${l}`)].join('\n'));
  printSshConfigNotes(profile, fromSshConfig, io);
  if (withFiles) {
    for (const f of writeRendered(plan)) {
      io.out(`--- ${f.host}:${f.path} (mode ${f.mode.toString(8).padStart(4, '0')})`);
      io.out(f.content);
    }
    for (const f of addonManifestFiles(plan.cluster.addons)) {
      io.out(`--- ${f.path} (applied through the API; kubectl apply --server-side -f takes it as it is)`);
      io.out(f.content);
    }
  }
  io.out(ASSUMPTION);
  return 0;
}

function renderToDir(profile: Profile, out: string | undefined, io: CliIo): number {
  if (!out) throw new UsageError('kubeup render needs --out DIR');
  const plan = buildPlan(profile, assumedFacts(profile));
  const files = writeRendered(plan);
  for (const f of files) {
    const target = join(out, f.host.replace(/[^A-Za-z0-9._-]/g, '_'), f.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.content, { mode: f.mode });
  }
  const manifests = addonManifestFiles(plan.cluster.addons);
  for (const f of manifests) {
    mkdirSync(dirname(join(out, f.path)), { recursive: true });
    writeFileSync(join(out, f.path), f.content, { mode: 0o644 });
  }
  io.out(`Wrote ${files.length} files for ${plan.hosts.length} hosts under ${out}${manifests.length ? `, and the add-on manifests under ${join(out, 'addons')}` : ''}.`);
  io.out(ASSUMPTION);
  return 0;
}

/** `kubeup cache prepare`: every release a profile needs, downloaded and verified, without touching a host (airgap). */
async function prepareCacheCommand(profile: Profile, archList: string | undefined, io: CliIo): Promise<number> {
  const { ARCHES, prepareCache } = await import('../release/index.js');
  const arches = (archList ?? 'amd64').split(',').map((a) => a.trim());
  const bad = arches.filter((a) => !(ARCHES as readonly string[]).includes(a));
  if (bad.length) throw new UsageError(`unknown architecture ${bad.join(', ')}`, { hint: `use ${ARCHES.join(' or ')}, comma-separated` });
  const fetched = await prepareCache(profile, arches as (typeof ARCHES)[number][]);
  for (const f of fetched) io.out(`${f.fromCache ? 'cached    ' : 'downloaded'} ${f.artifact.id}  sha256 ${f.sha256}`);
  io.out(`${fetched.length} artefacts verified in the cache.`);
  return 0;
}
