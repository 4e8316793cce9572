// The observe script runs in a real sh with the real sha256sum/stat/base64 on real files (this machine's), so its
// output format and its parser are checked together.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diffHost } from '../../../src/plan/diff.js';
import { recordSums, remoteFileStates } from '../../../src/provision/file-state.js';
import { observeHost } from '../../../src/provision/observe.js';
import type { ExecOptions, ExecResult, HostSession } from '../../../src/ssh/session.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** Runs argv here, without sudo: the commands are read-only. */
class LocalSession implements HostSession {
  readonly target = 'local';
  commands = 0;
  async exec(argv: readonly unknown[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.commands++;
    const [cmd, ...args] = argv as string[];
    const r = spawnSync(cmd!, args, { encoding: 'utf8', env: { PATH: process.env.PATH!, SYSTEMD_IGNORE_CHROOT: '1' }, ...(opts.stdin !== undefined && { input: opts.stdin }) });
    return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
  }
  upload(): never {
    throw new Error('read-only');
  }
  read(): never {
    throw new Error('read-only');
  }
  async close() {}
}

describe('observeHost (real sh, sha256sum, stat, base64)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeup-observe-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const me = `${userInfo().username}:${spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim()}`;

  it('one command: facts of every file, the content only of text files that differ', async () => {
    const same = join(dir, 'same.conf');
    const edited = join(dir, 'kubelet');
    const secret = join(dir, 'kubelet.key');
    writeFileSync(same, 'a = 1\n');
    writeFileSync(edited, 'KUBELET_OPTS="--v=9"\n');
    writeFileSync(secret, 'PRIVATE\n');
    chmodSync(edited, 0o640);
    chmodSync(secret, 0o600);
    const s = new LocalSession();
    const seen = await observeHost(s, {
      id: 'here',
      files: [
        { path: same, sha256: sha('a = 1\n'), text: 'a = 1\n' },
        { path: edited, sha256: sha('KUBELET_OPTS="--v=2"\n'), text: 'KUBELET_OPTS="--v=2"\n' },
        { path: secret, sha256: sha('OTHER\n') },
        { path: join(dir, 'missing'), sha256: sha('x'), text: 'x' },
      ],
      units: [],
    });
    expect(s.commands).toBe(1);
    expect(seen.files[same]).toEqual({ path: same, state: 'present', sha256: sha('a = 1\n'), mode: 0o644, owner: me });
    expect(seen.files[edited]).toEqual({ path: edited, state: 'present', sha256: sha('KUBELET_OPTS="--v=9"\n'), mode: 0o640, owner: me, content: 'KUBELET_OPTS="--v=9"\n' });
    // A file asked without text (a key) never has its content read.
    expect(seen.files[secret]).toEqual({ path: secret, state: 'present', sha256: sha('PRIVATE\n'), mode: 0o600, owner: me });
    expect(seen.files[join(dir, 'missing')]).toEqual({ path: join(dir, 'missing'), state: 'absent' });
    expect(seen.nowUsec).toBeGreaterThan(0);

    const d = diffHost({ id: 'here', nodeName: 'here', units: [], desired: [{ path: edited, mode: 0o644, owner: me, sha256: sha('KUBELET_OPTS="--v=2"\n'), kind: 'file', text: 'KUBELET_OPTS="--v=2"\n', restarts: [] }], observed: seen });
    expect(d.files[0]!.diff).toContain('-KUBELET_OPTS="--v=9"\n+KUBELET_OPTS="--v=2"');
  });

  it('the executor\'s no-op check reads the same script', async () => {
    const f = join(dir, 'plain');
    writeFileSync(f, '');
    const [st] = await remoteFileStates(new LocalSession(), [{ path: f }]);
    expect(st).toEqual({ path: f, state: 'present', sha256: sha(''), mode: 0o644, owner: me });
  });

  describe('the sums list: a file not written since its sum was recorded is not hashed again', () => {
    const sums = join(dir, 'state', 'sha256sums');
    const look = async (path: string) => {
      const seen = await observeHost(new LocalSession(), { id: 'here', files: [{ path, sha256: sha('x') }], units: [], sumsFile: sums });
      const file = seen.files[path]!;
      return { sha256: file.state === 'present' ? file.sha256 : file.state, sums: seen.sums };
    };

    it('records the known sums (0600) and takes them from the list while the file stays as it is', async () => {
      const f = join(dir, 'bin');
      writeFileSync(f, 'binary v1');
      expect(await look(f)).toEqual({ sha256: sha('binary v1'), sums: { hits: 0, misses: 1 } });
      // A sum the list says the file holds is taken without reading the file: so a made-up one shows through.
      await recordSums(new LocalSession(), [{ path: f, sha256: 'f'.repeat(64) }, { path: join(dir, 'gone'), sha256: 'e'.repeat(64) }], sums, false);
      expect(statSync(sums).mode & 0o777).toBe(0o600);
      expect(readFileSync(sums, 'utf8')).not.toContain('gone');
      expect(await look(f)).toEqual({ sha256: 'f'.repeat(64), sums: { hits: 1, misses: 0 } });
    });

    it('a file written since (same size, even with its mtime put back) is hashed again', async () => {
      const f = join(dir, 'bin2');
      writeFileSync(f, 'binary v1');
      const before = statSync(f);
      await recordSums(new LocalSession(), [{ path: f, sha256: 'f'.repeat(64) }], sums, false);
      writeFileSync(f, 'binary v2');
      utimesSync(f, before.atime, before.mtime);
      expect(await look(f)).toEqual({ sha256: sha('binary v2'), sums: { hits: 0, misses: 1 } });
    });

    it('a file replaced by another (rename over it, as kubeup writes) is hashed again', async () => {
      const f = join(dir, 'bin3');
      writeFileSync(f, 'binary v1');
      await recordSums(new LocalSession(), [{ path: f, sha256: 'f'.repeat(64) }], sums, false);
      writeFileSync(`${f}.new`, 'binary v1');
      spawnSync('mv', ['-f', `${f}.new`, f]);
      expect(await look(f)).toEqual({ sha256: sha('binary v1'), sums: { hits: 0, misses: 1 } });
    });

    it('many files in one look keep their order: known ones from the list, the others hashed, absent and unreadable named', async () => {
      const files = Array.from({ length: 40 }, (_, i) => join(dir, `many-${i}`));
      files.forEach((f, i) => writeFileSync(f, `file ${i}`));
      // Every even file is in the list (with a made-up sum, to show it was taken from there).
      await recordSums(new LocalSession(), files.filter((_, i) => i % 2 === 0).map((path) => ({ path, sha256: 'a'.repeat(64) })), sums, false);
      const asked = [...files, join(dir, 'many-absent'), dir];
      const s = new LocalSession();
      const seen = await observeHost(s, { id: 'here', files: asked.map((path) => ({ path, sha256: sha('x') })), units: [], sumsFile: sums });
      expect(s.commands).toBe(1);
      expect(seen.sums).toEqual({ hits: 20, misses: 20 });
      files.forEach((f, i) => expect(seen.files[f], f).toMatchObject({ state: 'present', sha256: i % 2 === 0 ? 'a'.repeat(64) : sha(`file ${i}`) }));
      expect(seen.files[join(dir, 'many-absent')]).toEqual({ path: join(dir, 'many-absent'), state: 'absent' });
      expect(seen.files[dir]!.state).toBe('unreadable');
    });

    it('a line for another path with the same prefix is not taken', async () => {
      const f = join(dir, 'kube');
      writeFileSync(f, 'k');
      writeFileSync(`${f}let`, 'k');
      await recordSums(new LocalSession(), [{ path: `${f}let`, sha256: 'f'.repeat(64) }], sums, false);
      expect(await look(f)).toEqual({ sha256: sha('k'), sums: { hits: 0, misses: 1 } });
    });
  });
});
