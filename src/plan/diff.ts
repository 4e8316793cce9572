// What `up` would change on a running cluster: the desired files of each host (from its steps) against what one
// read-only pass found there (ObservedHost) and what kubeup wrote there last time (DeployedHost, the baseline that
// tells a planned change from drift). Pure and deterministic; `plan`, `up`, `status` and the no-op check all read it.
import type { HostSpec, Role } from '../profile/types.js';
import { unifiedDiff } from './text-diff.js';

export type FileKind = 'binary' | 'certificate' | 'key' | 'file';

/** sha256 (hex), octal mode and `user:group` of a file. */
export interface FileFacts {
  sha256: string;
  mode: number;
  owner: string;
}

/** What kubeup wants at a path (from the host's upload steps). */
export interface DesiredFile extends FileFacts {
  path: string;
  kind: FileKind;
  /** The content, for text files that hold no secret (diffs are shown only for these). */
  text?: string;
  /** Units restarted when the file changes. */
  restarts: string[];
}

/** One file as the host has it. `content` only for text files that differ from what was asked (see observe.ts). */
export type ObservedFile =
  | { path: string; state: 'absent' | 'unreadable' | 'unknown' }
  | ({ path: string; state: 'present'; content?: string } & FileFacts);

export interface ObservedUnit {
  /** systemd ActiveState: active, inactive, failed, activating, ... (`unknown` when systemd said nothing). */
  state: string;
  /** ActiveEnterTimestampMonotonic, microseconds; changes on every (re)start. */
  since: number;
}

/** One read-only pass over a host: its kubeup files and units. */
export interface ObservedHost {
  id: string;
  /** By path. */
  files: Record<string, ObservedFile>;
  /** By unit name. */
  units: Record<string, ObservedUnit>;
  /** The host's monotonic clock, microseconds. */
  nowUsec: number;
}

export interface DeployedFile extends FileFacts {
  kind: FileKind;
  /** Content of a non-secret text file, so drift can be shown as a diff later. */
  text?: string;
}

/** What kubeup wrote on a host at its last successful provisioning. */
export interface DeployedHost {
  id: string;
  /** The profile entry, so the host can still be reached once it is gone from the profile. */
  spec: HostSpec;
  nodeName: string;
  roles: Role[];
  units: string[];
  /** By path, sorted. */
  files: Record<string, DeployedFile>;
}

/** The cluster's deployed hosts, kept in the profile's state folder (deployed.json). */
export interface DeployedRecord {
  version: 1;
  profile: string;
  /** In the order they were first deployed. */
  hosts: DeployedHost[];
}

export interface FileChange {
  path: string;
  kind: FileKind;
  change: 'add' | 'change' | 'remove';
  /** What differs: `content`, `mode 0644 -> 0600`, `owner a:a -> root:root`, `missing`. */
  what: string[];
  /** Changed on the host since kubeup wrote it (edited by hand, or by something else). */
  drift: boolean;
  /** sha256 before and after (binaries: which build is replaced by which). */
  before?: string;
  after?: string;
  /** Unified diff of a non-secret text file, when its old content is known. */
  diff?: string;
  /** Why no diff is shown (a secret, a binary, content not known). */
  note?: string;
  restarts: string[];
}

export type HostAction = 'add' | 'update' | 'remove' | 'unchanged';

export interface HostDiff {
  id: string;
  nodeName: string;
  action: HostAction;
  /** Sorted by path. */
  files: FileChange[];
  /** Units `up` would restart (an input changed) or start (not active), in start order. */
  unitsRestart: string[];
  unitsStart: string[];
}

export interface ClusterDiff {
  profile: string;
  /** Hosts of the profile in profile order, then hosts to remove in the order they were deployed. */
  hosts: HostDiff[];
}

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');
const byPath = <T extends { path: string }>(a: T, b: T) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** Files whose content is never shown or kept: keys, tokens, encryption configuration, anything private (0600). */
export function isSecretFile(path: string, kind: FileKind, mode: number): boolean {
  return kind === 'key' || (mode & 0o077) === 0 || /(token|secret|encryption|password|passwd|credential|\.key$)/i.test(path);
}

// `name: value` / `--name=value` lines whose name says secret; their value is hidden even in a shown diff.
const SECRET_LINE = /^([+\- ]?\s*-?-?[\w.-]*(?:token|secret|password|passwd|private[-_]?key|key-data)[\w.-]*\s*[:=]\s*).+$/i;

export function redactLine(line: string): string {
  return line.replace(SECRET_LINE, '$1[redacted]');
}

export function redactDiff(diff: string): string {
  return diff.split('\n').map((l) => (l.startsWith('---') || l.startsWith('+++') ? l : redactLine(l))).join('\n');
}

export function sameFacts(a: FileFacts, b: FileFacts): boolean {
  const [au, ag] = a.owner.split(':');
  const [bu, bg] = b.owner.split(':');
  return a.sha256 === b.sha256 && (a.mode & 0o7777) === (b.mode & 0o7777) && au === bu && (ag === undefined || bg === undefined || ag === bg);
}

/** True when the host already has the file as wanted (the no-op check of the executor). */
export function fileUpToDate(observed: ObservedFile | undefined, wanted: FileFacts): boolean {
  return observed?.state === 'present' && sameFacts(observed, wanted);
}

function factsDelta(from: FileFacts, to: FileFacts): string[] {
  const what: string[] = [];
  if (from.sha256 !== to.sha256) what.push('content');
  if ((from.mode & 0o7777) !== (to.mode & 0o7777)) what.push(`mode ${octal(from.mode)} -> ${octal(to.mode)}`);
  if (!sameFacts({ ...from, sha256: '', mode: 0 }, { ...to, sha256: '', mode: 0 })) what.push(`owner ${from.owner} -> ${to.owner}`);
  return what;
}

function textDiff(path: string, host: string, from: string | undefined, to: string | undefined, secret: boolean): Pick<FileChange, 'diff' | 'note'> {
  if (secret) return { note: 'secret: content not shown' };
  if (from === undefined || to === undefined) return { note: 'content not known' };
  return { diff: redactDiff(unifiedDiff(from, to, { from: `${host}:${path} (on the host)`, to: `${host}:${path} (kubeup)` })) };
}

function fileChange(host: string, want: DesiredFile, seen: ObservedFile | undefined, before: DeployedFile | undefined): FileChange | undefined {
  if (fileUpToDate(seen, want)) return undefined;
  const base = { path: want.path, kind: want.kind, restarts: [...want.restarts].sort(), after: want.sha256 };
  const secret = isSecretFile(want.path, want.kind, want.mode);
  if (!seen || seen.state === 'absent') {
    return { ...base, change: 'add', what: before ? ['missing'] : [], drift: before !== undefined, ...(before && { before: before.sha256 }) };
  }
  if (seen.state !== 'present') return { ...base, change: 'change', what: [`could not be read (${seen.state})`], drift: false, note: 'content not known' };
  const drift = before !== undefined && !sameFacts(seen, before);
  const change: FileChange = { ...base, change: 'change', what: factsDelta(seen, want), drift, before: seen.sha256 };
  if (seen.sha256 === want.sha256) return change;
  if (want.kind === 'binary') return { ...change, note: 'binary' };
  if (want.kind === 'certificate') return { ...change, note: 'certificate' };
  const old = seen.content ?? (before?.sha256 === seen.sha256 ? before.text : undefined);
  return { ...change, ...textDiff(want.path, host, old, want.text, secret) };
}

export interface HostDiffInput {
  id: string;
  nodeName: string;
  /** Units the host runs, in start order. */
  units: string[];
  desired: DesiredFile[];
  /** Missing for a host that could not be looked at (offline plan): every file counts as new. */
  observed?: ObservedHost;
  deployed?: DeployedHost;
}

/** One host of the profile: what `up` would write, restart and start there. */
export function diffHost(input: HostDiffInput): HostDiff {
  const files = input.desired
    .map((want) => fileChange(input.id, want, input.observed?.files[want.path], input.deployed?.files[want.path]))
    .filter((c): c is FileChange => c !== undefined)
    .sort(byPath);
  const touched = new Set(files.flatMap((f) => f.restarts));
  const state = (u: string) => input.observed?.units[u]?.state ?? 'inactive';
  const unitsRestart = input.units.filter((u) => touched.has(u) && state(u) !== 'inactive');
  const unitsStart = input.units.filter((u) => !unitsRestart.includes(u) && state(u) !== 'active');
  const isNew = !input.deployed && files.length > 0 && files.every((f) => f.change === 'add');
  const action: HostAction = isNew ? 'add' : files.length || unitsRestart.length || unitsStart.length ? 'update' : 'unchanged';
  return { id: input.id, nodeName: input.nodeName, action, files, unitsRestart, unitsStart };
}

/** A deployed host that the profile no longer has: everything kubeup wrote there goes. */
export function removalDiff(host: DeployedHost): HostDiff {
  const files = Object.entries(host.files)
    .map(([path, f]): FileChange => ({ path, kind: f.kind, change: 'remove', what: [], drift: false, before: f.sha256, restarts: [] }))
    .sort(byPath);
  return { id: host.id, nodeName: host.nodeName, action: 'remove', files, unitsRestart: [], unitsStart: [] };
}

/** Deployed hosts that are not in the profile any more (matched by host id), in deploy order. */
export function removedHosts(record: DeployedRecord | undefined, profileHostIds: readonly string[]): DeployedHost[] {
  const keep = new Set(profileHostIds);
  return (record?.hosts ?? []).filter((h) => !keep.has(h.id));
}

export function diffCluster(profile: string, hosts: HostDiffInput[], record: DeployedRecord | undefined): ClusterDiff {
  const removed = removedHosts(record, hosts.map((h) => h.id)).map(removalDiff);
  return { profile, hosts: [...hosts.map(diffHost), ...removed] };
}

export function hasChanges(diff: ClusterDiff): boolean {
  return diff.hosts.some((h) => h.action !== 'unchanged');
}

/** Every drifted file, for the messages `up` and `status` print. */
export function driftedFiles(diff: ClusterDiff): { host: string; change: FileChange }[] {
  return diff.hosts.flatMap((h) => h.files.filter((f) => f.drift).map((change) => ({ host: h.id, change })));
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const SIGN: Record<FileChange['change'], string> = { add: '+', change: '~', remove: '-' };

function changeLines(f: FileChange): string[] {
  const details = [
    f.what.length ? f.what.join(', ') : '',
    f.drift ? 'drift: changed on the host since kubeup wrote it' : '',
    f.kind === 'binary' && f.before && f.after && f.before !== f.after ? `sha256 ${f.before} -> ${f.after}` : '',
    f.note && f.note !== 'binary' ? f.note : '',
  ].filter(Boolean);
  const head = `    ${SIGN[f.change]} ${f.path}${details.length ? `  (${details.join('; ')})` : ''}`;
  const body = f.diff ? f.diff.trimEnd().split('\n').map((l) => `        ${l}`) : [];
  return [head, ...body];
}

function hostHeadline(h: HostDiff): string {
  const label = `${h.id} (node ${h.nodeName})`;
  switch (h.action) {
    case 'unchanged':
      return `  = ${label}: no changes`;
    case 'remove':
      return `  - ${label}: remove from the cluster (cordon, drain, stop and clean ${plural(h.files.length, 'file')}, delete the Node)`;
    case 'add':
      return `  + ${label}: new host, ${plural(h.files.length, 'file')} to write, ${plural(h.unitsStart.length, 'unit')} to start`;
    case 'update': {
      const drift = h.files.filter((f) => f.drift).length;
      const parts = [
        h.files.length ? `${plural(h.files.length, 'file')} to write${drift ? ` (${drift} drifted)` : ''}` : '',
        h.unitsRestart.length ? `restart ${h.unitsRestart.join(', ')}` : '',
        h.unitsStart.length ? `start ${h.unitsStart.join(', ')}` : '',
      ].filter(Boolean);
      return `  ~ ${label}: ${parts.join('; ')}`;
    }
  }
}

/** The plain-text summary `plan` prints and `up` shows before it asks. Same diff, same bytes. */
export function formatDiff(diff: ClusterDiff): string {
  const count = (a: HostAction) => diff.hosts.filter((h) => h.action === a).length;
  const lines = [
    `Changes for profile ${diff.profile}: ${[`${count('add')} to add`, `${count('update')} to change`, `${count('remove')} to remove`, `${count('unchanged')} unchanged`].join(', ')}`,
  ];
  for (const h of diff.hosts) {
    lines.push(hostHeadline(h));
    for (const f of h.files) lines.push(...changeLines(f));
  }
  if (!hasChanges(diff)) lines.push('No changes: up would write nothing and restart nothing.');
  return `${lines.join('\n')}\n`;
}
