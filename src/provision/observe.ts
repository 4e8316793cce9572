// The read-only pass over one host: every file kubeup manages there (sha256, mode, owner, and the content of
// non-secret text files that differ from what kubeup would write) and its units' states, in one round trip.
// Its result (ObservedHost) feeds the plan's diff, drift, `status` and the executor's no-op check.
import { isSecretFile, type DeployedHost, type DesiredFile, type ObservedHost } from '../plan/diff.js';
import type { HostPlan } from '../plan/types.js';
import type { HostSession } from '../ssh/session.js';
import { parseUnitSnapshot, SNAPSHOT_SCRIPT } from '../verify/units.js';
import { FILES_SCRIPT, fileArgs, localSha256, parseFileLines, parseSumsLine, SUMS_FILE, type FileQuery } from './file-state.js';
import type { Step } from './steps.js';

const UNITS_MARK = '---units';
const OBSERVE_SCRIPT = `${FILES_SCRIPT}\nshift\necho ${UNITS_MARK}\n${SNAPSHOT_SCRIPT}`;

/** What the host's upload steps would leave there, with the sha256 of each local source. */
export async function desiredFiles(steps: readonly Step[]): Promise<DesiredFile[]> {
  const uploads = steps.filter((s): s is Extract<Step, { kind: 'upload' }> => s.kind === 'upload');
  const files = await Promise.all(
    uploads.map(async (s): Promise<DesiredFile> => {
      const text = 'text' in s.source && s.what === 'file' && !s.sensitive && !isSecretFile(s.path, s.what, s.mode) ? s.source.text : undefined;
      return { path: s.path, mode: s.mode, owner: s.owner, sha256: await localSha256(s.source), kind: s.what, restarts: [...s.restarts], ...(text !== undefined && { text }) };
    }),
  );
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export interface ObserveRequest {
  id: string;
  /** Files to look at; text files with `text` get their content fetched when they differ. */
  files: readonly Pick<DesiredFile, 'path' | 'sha256' | 'text'>[];
  units: readonly string[];
  /** The host's sums list (file-state.ts SUMS_FILE): files it knows unchanged are not hashed again. */
  sumsFile?: string;
}

/** What one look saw, and how many files it took from the sums list (`hits`) or had to hash (`misses`). */
export type Observed = ObservedHost & { sums?: { hits: number; misses: number } };

export async function observeHost(session: HostSession, req: ObserveRequest): Promise<Observed> {
  const queries: FileQuery[] = req.files.map((f) => ({ path: f.path, ...(f.text !== undefined && { contentUnless: f.sha256 }) }));
  const r = await session.exec(['sh', '-c', OBSERVE_SCRIPT, 'sh', ...fileArgs(queries, req.sumsFile ?? SUMS_FILE), '--units', ...req.units], { sudo: true, allowFailure: true });
  const lines = r.stdout.split('\n');
  const { files, next } = parseFileLines(lines, queries);
  const sums = parseSumsLine(lines[next]);
  const mark = lines.indexOf(UNITS_MARK, next);
  const snap = parseUnitSnapshot(mark >= 0 ? lines.slice(mark + 1).join('\n') : '', req.units);
  return {
    id: req.id,
    files: Object.fromEntries(files.map((f) => [f.path, f])),
    units: Object.fromEntries(Object.entries(snap.units).map(([u, s]) => [u, { state: s.state, since: s.since }])),
    nowUsec: snap.nowUsec,
    ...(sums && { sums }),
  };
}

/** The record of a host just provisioned: what kubeup wrote, the baseline for drift. Secrets keep only their sha256. */
export function deployedHost(host: HostPlan, desired: readonly DesiredFile[]): DeployedHost {
  return {
    id: host.id,
    spec: structuredClone(host.spec),
    nodeName: host.nodeName,
    roles: [...host.roles],
    units: [...host.units],
    files: Object.fromEntries(
      desired.map((f) => [f.path, { sha256: f.sha256, mode: f.mode, owner: f.owner, kind: f.kind, ...(f.text !== undefined && { text: f.text }) }]),
    ),
  };
}
