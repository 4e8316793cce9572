// One round trip that tells, for many files on a host, whether each already has the wanted content, mode and owner,
// and for text files that differ, what they hold (for plan's diffs). The executor's no-op check, `plan`, drift and
// `status` all read files through this script, so "is this file right?" has one answer.
import { createHash } from 'node:crypto';
import type { FileFacts, ObservedFile } from '../plan/diff.js';
import { fileUpToDate } from '../plan/diff.js';
import { localFileSha256 } from '../ssh/local-hash.js';
import type { HostSession } from '../ssh/session.js';

/** Text content is fetched only up to this size (kubeup's own configuration files are far smaller). */
export const MAX_CONTENT_BYTES = 1024 * 1024;

/**
 * The host's list of sha256 sums kubeup knows, keyed by each file's path and stat facts (device, inode, size,
 * mtime and ctime to the nanosecond): a file whose facts are all the same has not been written since, so its sum
 * is not computed again (hashing every binary of 8 hosts on each re-run was most of a no-op's time). Any write
 * changes the ctime, which no user can set back (touch -d sets only mtime/atime), and kubeup's own writes
 * (rename over) change the inode: a changed file misses and is hashed. Root only (0600, kubeup's folder).
 */
export const SUMS_FILE = '/var/lib/kubeup/sha256sums';

/** The stat facts a sums line is keyed by (GNU stat; %y/%z carry nanoseconds). */
const SUMS_KEY_FORMAT = '%d %i %s %y %z';

// Arguments: optionally `--sums FILE` (read-only use of the sums list), then pairs of (path, sha256 or -), up to an
// optional `--units`. Per file, "<sha256> <octal mode> <user>:<group>" or "absent" / "unreadable"; after it
// "content <base64>" when a sha256 was given and the file differs from it. With --sums, last "sums <hits> <misses>".
// A fixed number of processes whatever the number of files: one stat for all of them, one awk that pairs each with
// its line in the sums list; only a file not in the list costs a sha256sum (a stat and an awk per file took half a
// second for a master's 78 files, most of a no-op's time on the host). Fields are tab-separated: kubeup's paths hold
// no tabs. The loop reads awk's lines in a subshell, so the counts are printed there.
export const FILES_SCRIPT = `sums= asked= q=
if [ "$1" = --sums ]; then asked=1 sums=$2; shift 2; [ -r "$sums" ] || sums=; fi
while [ $# -gt 1 ] && [ "$1" != --units ]; do q="$q$1	$2
"; shift 2; done
{ printf '%s' "$q" | cut -f 1 | xargs -r -d '\\n' stat -L --printf '%n\\t${SUMS_KEY_FORMAT}\\t%a %U:%G\\t%s\\n' -- 2>/dev/null
  echo '--queries--'; printf '%s' "$q"; } |
awk -F '\\t' -v sums="$sums" '
  BEGIN { if (sums != "") while ((getline l < sums) > 0) if (length(l) > 65) { k = substr(l, 1, length(l) - 65); if (!(k in known)) known[k] = substr(l, length(l) - 63) } }
  !queries && $0 == "--queries--" { queries = 1; next }
  !queries { st[$1] = $2 "\\t" $3 "\\t" $4; next }
  !($1 in st) { print "absent"; next }
  { split(st[$1], f, "\\t"); k = $1 " " f[1]; sum = (k in known) ? known[k] : ""
    if (sum !~ /^[0-9a-f]+$/ || length(sum) != 64) sum = "-"
    print (sum == "-" ? "miss" : "hit") "\\t" $1 "\\t" $2 "\\t" sum "\\t" f[2] "\\t" f[3] }' |
{ hits=0 misses=0
  while IFS='	' read -r kind f want sum facts size; do
    case $kind in
      absent) echo absent; continue ;;
      hit) hits=$((hits + 1)) ;;
      *) sum=$(sha256sum -- "$f") || { echo unreadable; continue; }; sum=\${sum%% *}; misses=$((misses + 1)) ;;
    esac
    printf '%s %s\\n' "$sum" "$facts"
    if [ "$want" != - ] && [ "$want" != "$sum" ] && [ "$size" -le ${MAX_CONTENT_BYTES} ]; then
      printf 'content %s\\n' "$(base64 -w0 -- "$f")"
    fi
  done
  if [ -n "$asked" ]; then echo "sums $hits $misses"; fi; }`;

// Arguments: the sums file, then the paths; stdin: "<path>\t<sha256 it is known to hold>" lines. Writes the list anew
// (the files that exist), atomically: one stat for all the files, one awk to pair them with their sums.
const RECORD_SUMS_SCRIPT = `umask 077
sums=$1; shift
mkdir -p -- "\${sums%/*}" || exit 1
stat -L --printf '%n\\t${SUMS_KEY_FORMAT}\\n' -- "$@" 2>/dev/null > "$sums.kubeup-keys"
awk -F '\\t' 'NR == FNR { sum[$1] = $2; next } ($1 in sum) { print $1 " " $2 " " sum[$1] }' - "$sums.kubeup-keys" > "$sums.kubeup-new" || exit 1
rm -f -- "$sums.kubeup-keys"
mv -f -- "$sums.kubeup-new" "$sums"`;

/**
 * Records that each file holds its sha256, against its stat facts now: only for files known to hold it (those up
 * just provisioned, with the host locked), so the next look can take the sum without reading the file.
 */
export async function recordSums(session: HostSession, files: readonly { path: string; sha256: string }[], sumsFile = SUMS_FILE, sudo = true): Promise<void> {
  await session.exec(['sh', '-c', RECORD_SUMS_SCRIPT, 'sh', sumsFile, ...files.map((f) => f.path)], { sudo, stdin: files.map((f) => `${f.path}\t${f.sha256}\n`).join('') });
}

/** The `sums <hits> <misses>` line FILES_SCRIPT ends with under --sums; undefined without it. */
export function parseSumsLine(line: string | undefined): { hits: number; misses: number } | undefined {
  const m = /^sums (\d+) (\d+)$/.exec(line ?? '');
  return m ? { hits: Number(m[1]), misses: Number(m[2]) } : undefined;
}

export interface FileQuery {
  path: string;
  /** Ask for the content when the file's sha256 differs from this one (non-secret text files only). */
  contentUnless?: string;
}

export function fileArgs(queries: readonly FileQuery[], sumsFile?: string): string[] {
  return [...(sumsFile ? ['--sums', sumsFile] : []), ...queries.flatMap((q) => [q.path, q.contentUnless ?? '-'])];
}

const STATE_LINE = /^([0-9a-f]{64}) ([0-7]+) (\S+)$/;

/** Reads one answer per query from `lines` (starting at `at`); returns them and where the next part starts. */
export function parseFileLines(lines: readonly string[], queries: readonly FileQuery[], at = 0): { files: ObservedFile[]; next: number } {
  const files: ObservedFile[] = [];
  let i = at;
  for (const q of queries) {
    const line = lines[i] ?? '';
    i++;
    const m = STATE_LINE.exec(line);
    if (m) {
      const file: ObservedFile = { path: q.path, state: 'present', sha256: m[1]!, mode: parseInt(m[2]!, 8), owner: m[3]! };
      if (lines[i]?.startsWith('content ')) {
        file.content = Buffer.from(lines[i]!.slice('content '.length), 'base64').toString('utf8');
        i++;
      }
      files.push(file);
    } else {
      // Anything unexpected counts as "different": the upload itself then checks again and writes.
      files.push({ path: q.path, state: line === 'absent' ? 'absent' : line === 'unreadable' ? 'unreadable' : 'unknown' });
    }
  }
  return { files, next: i };
}

export async function remoteFileStates(session: HostSession, queries: readonly FileQuery[]): Promise<ObservedFile[]> {
  if (queries.length === 0) return [];
  const r = await session.exec(['sh', '-c', FILES_SCRIPT, 'sh', ...fileArgs(queries)], { sudo: true });
  return parseFileLines(r.stdout.split('\n'), queries).files;
}

export async function localSha256(source: { text: string } | { localPath: string }): Promise<string> {
  if ('text' in source) return createHash('sha256').update(source.text).digest('hex');
  return localFileSha256(source.localPath);
}

export function upToDate(remote: ObservedFile | undefined, wanted: FileFacts): boolean {
  return fileUpToDate(remote, wanted);
}
