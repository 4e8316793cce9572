// A certificate and its key change together on a host: both staged beside their targets, then renamed in one command
// that lists them first, so a run that stops anywhere leaves the old pair or the new one. The shell scripts run for
// real on a temporary folder (a cut between the two renames, finished by the next run's recovery); the flow runs on
// the strict fake session (a failed rename command leaves both targets as they were).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { changingPairs, COMMIT_PAIRS_SCRIPT, executeSteps, FINISH_PAIRS_SCRIPT, PAIRS_FILE, stagedPath } from '../../../src/provision/execute.js';
import type { Step } from '../../../src/provision/steps.js';
import { FakeSession } from '../../../src/ssh/fake.js';

type Upload = Extract<Step, { kind: 'upload' }>;
const upload = (path: string, text: string, what: Upload['what']): Upload => ({ kind: 'upload', path, mode: what === 'key' ? 0o600 : 0o644, owner: 'root:root', source: { text }, sensitive: what === 'key', restarts: ['kube-apiserver.service'], what });
const CRT = '/etc/kubernetes/pki/apiserver.crt';
const KEY = '/etc/kubernetes/pki/apiserver.key';

describe('changingPairs', () => {
  it('pairs a key with the certificate or public key beside it when both change, and nothing else', () => {
    const crt = upload(CRT, 'new cert', 'certificate');
    const key = upload(KEY, 'new key', 'key');
    const sa = [upload('/etc/kubernetes/pki/service-account.pub', 'pub', 'certificate'), upload('/etc/kubernetes/pki/service-account.key', 'sa', 'key')];
    expect(changingPairs([crt, key, ...sa])).toEqual([[CRT, KEY], ['/etc/kubernetes/pki/service-account.pub', '/etc/kubernetes/pki/service-account.key']]);
    // A certificate re-issued alone, or a key alone (the encryption config), has no pair.
    expect(changingPairs([crt])).toEqual([]);
    expect(changingPairs([key, upload('/etc/kubernetes/pki/other.crt', 'c', 'certificate')])).toEqual([]);
  });
});

describe('the rename scripts, run by sh', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const setup = () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeup-pairs-'));
    const p = { crt: join(dir, 'a.crt'), key: join(dir, 'a.key'), list: join(dir, 'state', 'pending-pairs') };
    writeFileSync(p.crt, 'old cert');
    writeFileSync(p.key, 'old key');
    writeFileSync(stagedPath(p.crt), 'new cert');
    writeFileSync(stagedPath(p.key), 'new key');
    return p;
  };

  it('commit renames both and leaves no list', () => {
    const p = setup();
    execFileSync('sh', ['-c', COMMIT_PAIRS_SCRIPT, 'sh', p.list, stagedPath(p.crt), p.crt, stagedPath(p.key), p.key]);
    expect([readFileSync(p.crt, 'utf8'), readFileSync(p.key, 'utf8')]).toEqual(['new cert', 'new key']);
    expect(existsSync(p.list)).toBe(false);
    expect(existsSync(stagedPath(p.crt)) || existsSync(stagedPath(p.key))).toBe(false);
  });

  it('a run cut after the first rename (new certificate, old key) is finished by the next run: the new pair', () => {
    const p = setup();
    // What the commit leaves when the power goes between its renames: the list, the certificate moved, the key not.
    execFileSync('sh', ['-c', `mkdir -p "\${1%/*}"; printf '%s\\n' "$2" "$3" "$4" "$5" > "$1"; mv -fT -- "$2" "$3"`, 'sh', p.list, stagedPath(p.crt), p.crt, stagedPath(p.key), p.key]);
    expect([readFileSync(p.crt, 'utf8'), readFileSync(p.key, 'utf8')]).toEqual(['new cert', 'old key']);
    const out = execFileSync('sh', ['-c', FINISH_PAIRS_SCRIPT, 'sh', p.list], { encoding: 'utf8' });
    expect(out.trim()).toBe(`completed ${p.key}`);
    expect([readFileSync(p.crt, 'utf8'), readFileSync(p.key, 'utf8')]).toEqual(['new cert', 'new key']);
    expect(existsSync(p.list)).toBe(false);
    // Nothing listed: nothing to do.
    expect(execFileSync('sh', ['-c', FINISH_PAIRS_SCRIPT, 'sh', p.list], { encoding: 'utf8' })).toBe('');
  });
});

/** A host with the old pair; the commit command does what the script does to the fake's files, or fails. */
function hostWithOldPair(commit: 'works' | 'fails', recovered = ''): FakeSession {
  const s = new FakeSession()
    .on(/^sh -c 'm=\$1/, { stdout: recovered })
    .on(/^sh -c 'f=\$1; shift/, {})
    .on(/^sh -c 'sums= /, (command): { stdout: string } => {
      const paths = command.slice(command.lastIndexOf("' sh ") + 5).split(' ').filter((_, i) => i % 2 === 0);
      const state = (f: { content: Buffer; mode: number; owner: string } | undefined) => (f ? `${createHash('sha256').update(f.content).digest('hex')} ${f.mode.toString(8)} ${f.owner}` : 'absent');
      return { stdout: paths.map((p) => state(s.files.get(p))).join('\n') + '\n' };
    })
    .on(/^sh -c 'j=\$1/, (command): { code?: number; stderr?: string } => {
      if (commit === 'fails') return { code: 1, stderr: 'mv: cannot move: No space left on device' };
      const args = command.slice(command.lastIndexOf("' sh ") + 5).split(' ').slice(1);
      for (let i = 0; i < args.length; i += 2) {
        s.files.set(args[i + 1]!, s.files.get(args[i]!)!);
        s.files.delete(args[i]!);
      }
      return {};
    });
  s.addFile(CRT, 'old cert');
  s.addFile(KEY, 'old key', 0o600);
  return s;
}

describe('executeSteps with a certificate and its key', () => {
  const steps = [upload(CRT, 'new cert', 'certificate'), upload(KEY, 'new key', 'key')];

  it('writes neither target directly: both are staged, then renamed together, after the list is named', async () => {
    const s = hostWithOldPair('works');
    const r = await executeSteps(s, steps);
    expect(s.uploadedPaths().sort()).toEqual([stagedPath(CRT), stagedPath(KEY)].sort());
    expect(s.commands().find((c) => c.startsWith("sh -c 'j=$1"))).toContain(` sh ${PAIRS_FILE} ${stagedPath(CRT)} ${CRT} ${stagedPath(KEY)} ${KEY}`);
    expect([s.files.get(CRT)!.content.toString(), s.files.get(KEY)!.content.toString()]).toEqual(['new cert', 'new key']);
    expect(r.filesChanged).toEqual([CRT, KEY]);
  });

  it('a rename command that fails leaves the old pair in place (and the run failed)', async () => {
    const s = hostWithOldPair('fails');
    await expect(executeSteps(s, steps)).rejects.toThrow(/No space left on device/);
    expect([s.files.get(CRT)!.content.toString(), s.files.get(KEY)!.content.toString()]).toEqual(['old cert', 'old key']);
  });

  it('a certificate that changes alone is written in place as before', async () => {
    const s = hostWithOldPair('works');
    s.addFile(KEY, 'new key', 0o600);
    await executeSteps(s, steps);
    expect(s.uploadedPaths()).toEqual([CRT]);
    expect(s.commands().some((c) => c.startsWith("sh -c 'j=$1"))).toBe(false);
  });

  it('says so when the recovery finished a pair an interrupted run left between its renames', async () => {
    const s = hostWithOldPair('works', `completed ${KEY}\n`);
    s.addFile(CRT, 'new cert');
    s.addFile(KEY, 'new key', 0o600);
    const r = await executeSteps(s, steps);
    expect(r.warnings).toEqual([`an interrupted run left a certificate and its key between their renames: finished ${KEY}`]);
    expect(s.commands()[0]).toContain(` sh /var/lib/kubeup/pending-restarts ${PAIRS_FILE} /etc/kubernetes/pki`);
    expect(s.uploadedPaths()).toEqual([]);
  });
});
