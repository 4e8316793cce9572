import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLocalLock, localLockPath, LockError } from '../../../src/lock/index.js';
import { FakeSession } from '../../../src/ssh/fake.js';
import { acquireHostLock, newHolder } from '../../../src/lock/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeup-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A pid that is surely not running: a child that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

describe('the lock on this machine', () => {
  it('a second run stops at once, saying who holds the lock, since when and what to do', () => {
    const first = acquireLocalLock(dir, { command: 'kubeup up --profile lab', now: new Date('2026-12-01T10:00:00Z') });
    let err: unknown;
    try {
      acquireLocalLock(dir, { command: 'kubeup down --profile lab', now: new Date('2026-12-01T10:03:00Z') });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LockError);
    const text = (err as LockError).describe();
    expect(text).toContain(`another kubeup run holds the lock of this cluster: kubeup up --profile lab (pid ${process.pid} on ${hostname()}), since 2026-12-01T10:00:00.000Z (3 min ago)`);
    expect(text).toContain(`file ${localLockPath(dir)}`);
    expect(text).toMatch(/hint: wait for it to finish .*--force-unlock \(if that run is still going, both runs write to the same hosts/);
    expect((err as LockError).exitCode).toBe(4);
    first.release();
    expect(existsSync(localLockPath(dir))).toBe(false);
    acquireLocalLock(dir, { command: 'again' }).release();
  });

  it('records pid, start time, host name, command and since; the file is 0600', () => {
    const lock = acquireLocalLock(dir, { command: 'kubeup up --profile lab' });
    const rec = JSON.parse(readFileSync(lock.path, 'utf8'));
    expect(rec).toMatchObject({ pid: process.pid, hostname: hostname(), command: 'kubeup up --profile lab' });
    expect(rec.procStart).toMatch(/^\d+$/);
    expect(new Date(rec.since).getTime()).toBeGreaterThan(0);
    expect(spawnSync('stat', ['-c', '%a', lock.path], { encoding: 'utf8' }).stdout.trim()).toBe('600');
    lock.release();
    lock.release();
  });

  it('a lock whose process is gone is stale: taken over with a warning', () => {
    writeFileSync(localLockPath(dir), JSON.stringify({ ...newHolder('kubeup up --profile lab'), pid: deadPid() }));
    const warnings: string[] = [];
    const lock = acquireLocalLock(dir, { command: 'me', onWarning: (m) => warnings.push(m) });
    expect(warnings.join()).toMatch(/took over a stale lock: kubeup up --profile lab \(pid \d+ .*\) is no longer running/);
    lock.release();
  });

  it('a reused pid (same pid, other start time) is stale too', () => {
    writeFileSync(localLockPath(dir), JSON.stringify({ ...newHolder('old run'), pid: process.pid, procStart: '1' }));
    const warnings: string[] = [];
    acquireLocalLock(dir, { command: 'me', onWarning: (m) => warnings.push(m) }).release();
    expect(warnings.join()).toMatch(/stale lock/);
  });

  it('a holder on another machine is never taken as stale; --force-unlock takes it and says what it risks', () => {
    writeFileSync(localLockPath(dir), JSON.stringify({ ...newHolder('kubeup up --profile lab'), hostname: 'elsewhere', pid: deadPid() }));
    expect(() => acquireLocalLock(dir, { command: 'me' })).toThrow(/pid \d+ on elsewhere/);
    const warnings: string[] = [];
    const lock = acquireLocalLock(dir, { command: 'me', force: true, onWarning: (m) => warnings.push(m) });
    expect(warnings.join()).toMatch(/--force-unlock: took the lock from kubeup up --profile lab .*both runs write to the same hosts/);
    lock.release();
  });

  it('release never removes another run\'s lock (one that forced it away)', () => {
    const mine = acquireLocalLock(dir, { command: 'me' });
    const theirs = acquireLocalLock(dir, { command: 'them', force: true });
    mine.release();
    expect(JSON.parse(readFileSync(localLockPath(dir), 'utf8')).command).toBe('them');
    theirs.release();
    expect(existsSync(localLockPath(dir))).toBe(false);
  });

  it('a damaged lock file is replaced with a warning', () => {
    writeFileSync(localLockPath(dir), 'garbage');
    const warnings: string[] = [];
    acquireLocalLock(dir, { command: 'me', onWarning: (m) => warnings.push(m) }).release();
    expect(warnings.join()).toMatch(/unreadable or damaged/);
  });

  it('a process that exits without releasing (process.exit) leaves no lock', () => {
    const script = `import { acquireLocalLock } from ${JSON.stringify(join(import.meta.dirname, '../../../src/lock/index.ts'))}; acquireLocalLock(${JSON.stringify(dir)}, { command: 'x' }); process.exit(130);`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(130);
    expect(existsSync(localLockPath(dir))).toBe(false);
  });
});

describe('the lock on a host (answers as the host gives them)', () => {
  it('busy: names the host, the holder and the way out', async () => {
    const other = { ...newHolder('kubeup up --profile lab'), hostname: 'laptop', since: '2026-12-01T10:00:00.000Z' };
    const session = new FakeSession('root@h1:22');
    session.on(/flock/, { code: 75, stdout: `${JSON.stringify(other)}\n` });
    const err = await acquireHostLock(session, 'h1', { holder: newHolder('me'), now: new Date('2026-12-01T10:01:00Z') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockError);
    expect((err as LockError).describe()).toMatch(
      /^h1 is locked by another kubeup run: kubeup up --profile lab \(pid \d+ on laptop\), since 2026-12-01T10:00:00.000Z \(60 s ago\) \(host h1, file \/run\/kubeup\/lock\)\n {2}hint: wait for that run to finish .*ends by itself when its SSH connection closes.*--force-unlock/,
    );
  });

  it('busy, held by a run of this machine that is gone: taken over (forced) with a warning', async () => {
    const gone = { ...newHolder('kubeup up --profile lab'), pid: deadPid() };
    const session = new FakeSession('root@h1:22');
    session.on((cmd) => /flock/.test(cmd) && !/ force$/.test(cmd), { code: 75, stdout: JSON.stringify(gone) });
    session.on((cmd) => /flock/.test(cmd) && / force$/.test(cmd), { stdout: 'acquired\n' });
    session.on(/lock\.holder/, {});
    const warnings: string[] = [];
    const lock = await acquireHostLock(session, 'h1', { holder: newHolder('me'), onWarning: (m) => warnings.push(m) });
    expect(warnings.join()).toMatch(/took over the stale lock on h1/);
    await lock.release();
    await lock.release();
    expect(session.calls.filter((c) => c.kind === 'exec')).toHaveLength(3);
  });

  it('no flock on the host: a clear error', async () => {
    const session = new FakeSession('root@h1:22');
    session.on(/flock/, { code: 78 });
    await expect(acquireHostLock(session, 'h1', { holder: newHolder('me') })).rejects.toThrow(/flock or setsid is not installed/);
  });
});
