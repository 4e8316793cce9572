// The only place that runs mutating Steps on a host. Uploads are idempotent (the session compares sha256, mode and
// owner first), so a re-run of an up-to-date host uploads nothing and restarts nothing.
import { CancelledError } from '../errors.js';
import type { HostSession, UploadContent, UploadResult } from '../ssh/session.js';
import { displayArgv } from '../ssh/quote.js';
import { unitStates } from '../verify/units.js';
import { localSha256, remoteFileStates, upToDate } from './file-state.js';
import type { Step } from './steps.js';
import type { ObservedFile } from '../plan/diff.js';

export interface HostRecord {
  filesChanged: string[];
  filesUnchanged: number;
  /** Bytes of the files written, as they are on the host (delivered). */
  bytesUploaded: number;
  /** Bytes kubeup sent for them: less than bytesUploaded for compressed binaries, 0 for those the host fetched. */
  wireBytes: number;
  /** Wall time spent in upload batches (for transfer rates). */
  uploadMs: number;
  unitsRestarted: string[];
  unitsStarted: string[];
  warnings: string[];
}

export interface ExecuteOptions {
  /** One line for the task's status ("uploading /opt/bin/kubelet"). */
  onStatus?: (line: string) => void;
  /** Every remote output line and every action, for the host's log file. Never receives secrets. */
  log?: (line: string) => void;
  /** Bytes on the wire of the upload of `path` so far, of its `total` on the wire (its compressed size when compressed). */
  onUploadProgress?: (path: string, sent: number, total: number) => void;
  /**
   * How a binary that must change goes to the host (src/provision/transfer.ts): compressed, fetched by the host, or
   * (without this, or when it returns the path) the file as it is.
   */
  binaryContent?: (source: { localPath: string }, sha256: string) => Promise<UploadContent>;
  /** Each file once it is settled: found up to date (changed false) or written. For counts ("23/37 files"). */
  onFileDone?: (path: string, changed: boolean) => void;
  /** Each line a remote command prints, as it arrives. */
  onRemoteLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Uploads to this host at once (default 4). */
  uploadConcurrency?: number;
  signal?: AbortSignal;
  /**
   * The host's files as a read-only pass just found them (observe.ts): the no-op check uses these instead of
   * reading again. Files not in it are read here. Only exec steps run in between, and they write no managed file.
   */
  observed?: Readonly<Record<string, ObservedFile>>;
}

export function emptyRecord(): HostRecord {
  return { filesChanged: [], filesUnchanged: 0, bytesUploaded: 0, wireBytes: 0, uploadMs: 0, unitsRestarted: [], unitsStarted: [], warnings: [] };
}

const UNIT_DIR = '/etc/systemd/system/';

/**
 * Restarts this host still owes: written before files that need a restart change, removed once the run's units are
 * done. A run killed in between (SIGKILL, power loss) leaves it, and the next run, which finds the files already up to
 * date, still restarts what was in flight.
 */
export const PENDING_FILE = '/var/lib/kubeup/pending-restarts';
const DAEMON_RELOAD = 'daemon-reload';

/**
 * A certificate and its key change together: both are first written beside their targets (staged), then renamed in
 * one command that lists them here before the first rename. A run cut between the renames (power loss) leaves the
 * list, and the next run finishes the renames before anything else, so a host never keeps a key with another key's
 * certificate. Staged files not in the list (a run that stopped while staging) are removed like other temporary files.
 */
export const PAIRS_FILE = '/var/lib/kubeup/pending-pairs';

/** Where a file of a pair is staged: beside its target, named like the uploads' own temporary files. */
export const stagedPath = (path: string) => `${path.slice(0, path.lastIndexOf('/') + 1)}.${path.slice(path.lastIndexOf('/') + 1)}.kubeup-pair`;

// $1 the list; then staged file and target, pair after pair. The list is complete before the first rename.
export const COMMIT_PAIRS_SCRIPT = `j=$1; shift
mkdir -p -- "\${j%/*}" && printf '%s\\n' "$@" > "$j.new" && mv -f -- "$j.new" "$j" || exit 1
while [ $# -gt 1 ]; do mv -fT -- "$1" "$2" || exit 1; shift 2; done
rm -f -- "$j"`;

// $1 the list: finishes the renames it names (staged file, then target, a line each), printing "completed <target>".
export const FINISH_PAIRS_SCRIPT = `if [ -f "$1" ]; then
  while IFS= read -r s && IFS= read -r t; do if [ -f "$s" ]; then mv -fT -- "$s" "$t" && echo "completed $t"; fi; done < "$1"
  rm -f -- "$1"
fi`;

// $1 the pending file, $2 the pairs list, then the folders kubeup writes into. Finishes the pairs' renames, removes
// the temporary files an interrupted upload left (".<name>.kubeup-<random>", staged pairs not listed, and non-root
// users' staging folders in /tmp), printing each, then prints the pending restarts as "pending <unit>". Safe only
// under the host lock (src/lock): no other run is uploading.
const RECOVER_SCRIPT = `m=$1; j=$2; shift 2
set -- "$j" "$@"; ${FINISH_PAIRS_SCRIPT}
shift
for d do [ -d "$d" ] && find "$d" -maxdepth 1 -name '.*.kubeup-*' -type f -print -delete; done
for d in /tmp/kubeup-upload.*; do [ -d "$d" ] && rm -rf -- "$d" && echo "$d"; done
[ -f "$m" ] && sed 's/^/pending /' "$m"
exit 0`;

/**
 * The files of this batch that must change together: a key and the certificate (or public key) beside it, both
 * changing (`dir/name.key` with `dir/name.crt` or `dir/name.pub`). A file that changes alone needs no pair.
 */
export function changingPairs(changing: readonly Extract<Step, { kind: 'upload' }>[]): string[][] {
  const paths = new Set(changing.map((s) => s.path));
  return changing
    .filter((s) => s.what === 'key' && s.path.endsWith('.key'))
    .flatMap((k) => {
      const mates = ['.crt', '.pub'].map((ext) => k.path.replace(/\.key$/, ext)).filter((p) => paths.has(p));
      return mates.length ? [[...mates, k.path]] : [];
    });
}

/** Cleans up after an interrupted run; returns what it owes (units to restart, and whether to reload systemd). */
async function recover(session: HostSession, steps: readonly Step[], log: (line: string) => void, record: HostRecord): Promise<Set<string>> {
  const dirs = [...new Set(steps.flatMap((s) => (s.kind === 'upload' ? [s.path.slice(0, s.path.lastIndexOf('/')) || '/'] : [])))].sort();
  const r = await session.exec(['sh', '-c', RECOVER_SCRIPT, 'sh', PENDING_FILE, PAIRS_FILE, ...dirs], { sudo: true });
  const lines = r.stdout.split('\n').filter(Boolean);
  const completed = lines.filter((l) => l.startsWith('completed ')).map((l) => l.slice('completed '.length));
  if (completed.length) {
    record.warnings.push(`an interrupted run left a certificate and its key between their renames: finished ${completed.join(', ')}`);
    log(`finished the renames of an interrupted run: ${completed.join(' ')}`);
  }
  const removed = lines.filter((l) => !l.startsWith('pending ') && !l.startsWith('completed '));
  const pending = new Set(lines.filter((l) => l.startsWith('pending ')).map((l) => l.slice('pending '.length).trim()));
  if (removed.length) {
    record.warnings.push(`removed ${removed.length} temporary file${removed.length === 1 ? '' : 's'} an interrupted run left: ${removed.join(', ')}`);
    log(`removed stale temporary files: ${removed.join(' ')}`);
  }
  if (pending.size) {
    record.warnings.push(`an interrupted run left restarts undone: ${[...pending].join(', ')}; doing them now`);
    log(`pending from an interrupted run: ${[...pending].join(' ')}`);
  }
  return pending;
}

export async function executeSteps(session: HostSession, steps: readonly Step[], opts: ExecuteOptions = {}): Promise<HostRecord> {
  const record = emptyRecord();
  const log = opts.log ?? (() => {});
  const owed = await recover(session, steps, log, record);
  const toRestart = new Set([...owed].filter((u) => u !== DAEMON_RELOAD));
  let unitFilesChanged = owed.has(DAEMON_RELOAD);
  let pendingWritten = owed.size > 0;
  const owedThisRun = new Set<string>();
  const onLine = (line: string, stream: 'stdout' | 'stderr') => {
    log(`${stream === 'stderr' ? '! ' : '  '}${line}`);
    opts.onRemoteLine?.(line, stream);
  };

  /** Files of a pair changing in this batch go to their staged path; the batch's end renames each complete pair. */
  const staging = new Set<string>();
  const staged = new Set<string>();
  const upload = async (step: Extract<Step, { kind: 'upload' }>) => {
    opts.onStatus?.(`${step.what} ${step.path}`);
    const source = step.source;
    const content: UploadContent =
      'text' in source ? Buffer.from(source.text) : step.what === 'binary' && opts.binaryContent ? await opts.binaryContent(source, await localSha256(source)) : { localPath: source.localPath };
    const r = await session.upload(staging.has(step.path) ? stagedPath(step.path) : step.path, content, {
      mode: step.mode,
      owner: step.owner,
      sensitive: step.sensitive,
      ...(opts.onUploadProgress && { onProgress: (sent: number, total: number) => opts.onUploadProgress!(step.path, sent, total) }),
    });
    if (staging.has(step.path)) staged.add(step.path);
    if (r.changed) {
      record.filesChanged.push(step.path);
      record.bytesUploaded += r.bytes;
      record.wireBytes += r.wireBytes;
      step.restarts.forEach((u) => toRestart.add(u));
      if (step.path.startsWith(UNIT_DIR)) unitFilesChanged = true;
      log(`wrote ${step.path} (${r.bytes} bytes, ${wireNote(content, r)}, mode ${step.mode.toString(8)})`);
    } else {
      record.filesUnchanged++;
    }
    opts.onFileDone?.(step.path, r.changed);
  };

  for (let i = 0; i < steps.length; ) {
    // Cancelling waits for the steps under way: remote writes are atomic, so nothing is left half-written.
    if (opts.signal?.aborted) throw new CancelledError('cancelled before the next step', { host: session.target });
    const step = steps[i]!;
    if (step.kind === 'upload') {
      // A run of uploads goes out several at a time: each small file costs a few round trips, and the files are
      // independent of one another. The session's channel limit keeps sshd's MaxSessions safe.
      let j = i;
      while (j < steps.length && steps[j]!.kind === 'upload') j++;
      const batch = steps.slice(i, j) as Extract<Step, { kind: 'upload' }>[];
      // One look at every file first: only those that differ go through the (checking, atomic) upload.
      const unread = batch.filter((b) => !opts.observed?.[b.path]).map((b) => ({ path: b.path }));
      const read = new Map((await remoteFileStates(session, unread)).map((f) => [f.path, f]));
      const same = await Promise.all(
        batch.map(async (b) => upToDate(opts.observed?.[b.path] ?? read.get(b.path), { sha256: await localSha256(b.source), mode: b.mode, owner: b.owner })),
      );
      record.filesUnchanged += same.filter(Boolean).length;
      batch.forEach((b, k) => same[k] && opts.onFileDone?.(b.path, false));
      const changing = batch.filter((_, k) => !same[k]);
      const owes = [...new Set(changing.flatMap((b) => [...b.restarts, ...(b.path.startsWith(UNIT_DIR) ? [DAEMON_RELOAD] : [])]))];
      owes.forEach((u) => owedThisRun.add(u));
      if (owes.length) {
        await session.exec(['sh', '-c', 'f=$1; shift; mkdir -p -- "${f%/*}" && printf "%s\\n" "$@" >> "$f"', 'sh', PENDING_FILE, ...owes], { sudo: true });
        pendingWritten = true;
      }
      const started = Date.now();
      const pairs = changingPairs(changing);
      pairs.flat().forEach((p) => staging.add(p));
      await inParallel(changing, opts.uploadConcurrency ?? 4, upload, opts.signal);
      // Only pairs staged whole are renamed (a cancel stops new uploads): the rest stay old, and their staged halves go.
      const whole = pairs.filter((pair) => pair.every((p) => staged.has(p)));
      if (whole.length) {
        log(`renaming ${whole.map((pair) => pair.join(' + ')).join(', ')} into place together`);
        await session.exec(['sh', '-c', COMMIT_PAIRS_SCRIPT, 'sh', PAIRS_FILE, ...whole.flat().flatMap((p) => [stagedPath(p), p])], { sudo: true });
      }
      record.uploadMs += Date.now() - started;
      i = j;
      continue;
    }
    if (step.kind === 'exec') {
      opts.onStatus?.(step.title);
      log(`$ ${displayArgv(step.argv).join(' ')}`);
      const r = await session.exec(step.argv, { sudo: true, onLine, allowFailure: step.bestEffort === true });
      if (r.code !== 0) {
        const why = (r.stderr || r.stdout).trim().split('\n').pop() ?? '';
        record.warnings.push(`${step.title} did not work (${why}); continuing`);
        log(`warning: ${step.title} failed with exit ${r.code}`);
      }
    } else {
      await applyUnits(session, step.units, toRestart, unitFilesChanged, record, { ...opts, log, onLine });
    }
    i++;
  }
  // What was owed is done for the units these steps manage (applyUnits ran after the last upload). A partial list
  // of steps (an upgrade step moves one component) keeps what other units still owe for the next run.
  if (pendingWritten) {
    const handled = new Set(steps.flatMap((s) => (s.kind === 'units' ? s.units : [])));
    const owedStill = [...new Set([...owed, ...owedThisRun])].filter((u) => u !== DAEMON_RELOAD && !handled.has(u));
    if (owedStill.length === 0) await session.exec(['rm', '-f', '--', PENDING_FILE], { sudo: true });
    else await session.exec(['sh', '-c', 'f=$1; shift; printf "%s\\n" "$@" > "$f.kubeup-new" && mv -f -- "$f.kubeup-new" "$f"', 'sh', PENDING_FILE, ...owedStill], { sudo: true });
  }
  // Files in plan order, whatever order the parallel uploads finished in.
  const order = new Map(steps.map((s, k) => [s.kind === 'upload' ? s.path : '', k]));
  record.filesChanged.sort((a, b) => order.get(a)! - order.get(b)!);
  return record;
}

/** How the bytes of an upload travelled, for the host's log. */
function wireNote(content: UploadContent, r: UploadResult): string {
  if (!Buffer.isBuffer(content) && 'fetch' in content) return `fetched by the host from ${content.fetch.url}${content.fetch.member ? ` (${content.fetch.member})` : ''}`;
  if (r.encoding) return `${r.wireBytes} bytes sent ${r.encoding}-compressed`;
  if (!Buffer.isBuffer(content) && 'encoded' in content) return `${r.wireBytes} bytes sent as they are (too little room on the host for the compressed copy and the file at once)`;
  return `${r.wireBytes} bytes sent`;
}

async function applyUnits(
  session: HostSession,
  units: string[],
  changed: Set<string>,
  reload: boolean,
  record: HostRecord,
  opts: ExecuteOptions & { log: (l: string) => void; onLine: (line: string, stream: 'stdout' | 'stderr') => void },
): Promise<void> {
  const run = async (argv: string[]) => {
    opts.log(`$ ${argv.join(' ')}`);
    await session.exec(argv, { sudo: true, onLine: opts.onLine });
  };
  if (reload) {
    opts.onStatus?.('systemctl daemon-reload');
    await run(['systemctl', 'daemon-reload']);
  }
  const enabled = await session.exec(['systemctl', 'is-enabled', ...units], { allowFailure: true, sudo: true });
  const enabledStates = enabled.stdout.split('\n').map((l) => l.trim());
  const notEnabled = units.filter((_, i) => enabledStates[i] !== 'enabled');
  if (notEnabled.length) await run(['systemctl', 'enable', ...notEnabled]);
  const states = await unitStates(session, units, true);
  // Queued without waiting (--no-block): a unit that needs the API server waits for its /readyz in ExecStartPre,
  // and the master may still be provisioning. systemd runs the queued jobs in After= order (etcd before the API
  // server, containerd and flanneld before the kubelet); verify then watches each unit come up, or fail.
  for (const unit of units) {
    if (changed.has(unit) && states[unit] !== 'inactive') {
      opts.onStatus?.(`restarting ${unit}`);
      await run(['systemctl', 'restart', '--no-block', unit]);
      record.unitsRestarted.push(unit);
    } else if (states[unit] !== 'active') {
      opts.onStatus?.(`starting ${unit}`);
      // `restart` also recovers a unit in the failed state; on an inactive unit it simply starts it.
      await run(['systemctl', 'restart', '--no-block', unit]);
      record.unitsStarted.push(unit);
    }
  }
}

/** Runs `fn` over `items` with at most `limit` at once; the first failure stops new starts and is rethrown. */
async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  let failed: unknown;
  const lane = async () => {
    while (next < items.length && failed === undefined && !signal?.aborted) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failed !== undefined) throw failed;
}
