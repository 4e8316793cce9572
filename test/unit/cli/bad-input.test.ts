// Hostile and broken input through the CLI as a user runs it: each one a clear error with its exit code, never an
// internal error or a stack trace.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeup-bad-input-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ENV = () => ({ PATH: process.env.PATH!, HOME: dir, KUBEUP_CONFIG_DIR: join(dir, 'config'), KUBEUP_STATE_DIR: join(dir, 'state') });

function kubeup(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { encoding: 'utf8', env: ENV(), input: '', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const GOOD = 'name: lab\nhosts:\n  - {address: 192.168.4.218, roles: ai}\n';

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

// Each test spawns the CLI several times through tsx: slow on a loaded 2-core machine, so a generous timeout.
describe('bad input through the CLI', { timeout: 120_000 }, () => {
  it('reports YAML the parser refuses (aliases, tags, deep nesting, binary, huge) as exit 3 with the file and reason', () => {
    const cases: [string, string | Buffer, RegExp][] = [
      ['alias.yaml', 'name: *nope\nhosts: []\n', /alias\.yaml is not valid YAML: Unresolved alias/],
      ['laughs.yaml', `a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [${'*a,'.repeat(20)}*a]\nc: &c [${'*b,'.repeat(20)}*b]\nname: lab\n`, /laughs\.yaml is not valid YAML: Excessive alias count/],
      ['tag.yaml', `${GOOD}network: {podCidr: !cidr 10.244.0.0/16}\n`, /tag\.yaml is not valid YAML at line 4, column \d+: Unresolved tag: !cidr/],
      ['deep.yaml', `name: ${'['.repeat(3000)}${']'.repeat(3000)}\n`, /deep\.yaml is not valid YAML: it nests too deeply \(thousands of levels\)/],
      ['binary.yaml', Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0x00, 0xff, 0xfe]), /binary\.yaml is not valid YAML: it holds NUL bytes/],
      ['latin1.yaml', Buffer.from('name: caf\xe9\n', 'latin1'), /latin1\.yaml is not valid YAML: it is not UTF-8 text/],
      ['huge.yaml', `${GOOD}# ${'x'.repeat(1024 * 1024)}\n`, /huge\.yaml is larger than 1 MiB/],
    ];
    for (const [name, content, message] of cases) {
      const r = kubeup(['profiles', 'import', file(name, content)]);
      expect(r.code, `${name}: ${r.err}`).toBe(3);
      expect(r.err, name).toMatch(message);
      expect(r.err, name).not.toMatch(/internal error|at .*\.ts:\d+/);
    }
  });

  it('refuses odd Unicode in a profile name with the field, and takes Unicode in comments', () => {
    const r = kubeup(['profiles', 'import', file('uni.yaml', GOOD.replace('name: lab', 'name: "lab\u202e\u0301"'))]);
    expect(r.code).toBe(3);
    // Shown, not obeyed: the bidi override and the combining mark are written out.
    expect(r.err).toContain('name: "lab\\u{202e}\u0301" is not safe as a file name');
    expect(r.err).not.toContain('\u202e');
    const ok = kubeup(['profiles', 'import', file('ok.yaml', `# café ☕ 集群\n${GOOD}`)]);
    expect(ok.code, ok.err).toBe(0);
  });

  it('prints escape sequences and invisible characters from input as text, never to the terminal', () => {
    // A value that would retitle the terminal and turn it red, and a name that looks like "lab".
    const r = kubeup(['profiles', 'import', file('esc.yaml', GOOD.replace('name: lab', 'name: "a\\e]0;pwned\\ab\\e[31mRED"'))]);
    expect(r.code).toBe(3);
    expect(r.err).toContain('name: "a\\u{1b}]0;pwned\\u{7}b\\u{1b}[31mRED" is not safe as a file name');
    const arg = kubeup(['up', '--profile', 'l\u200bab\x1b[2J']);
    expect(arg.code).toBe(3);
    expect(arg.err).toContain('l\\u{200b}ab\\u{1b}[2J');
    for (const c of ['\x1b', '\x07', '\u200b']) expect(r.err + arg.err).not.toContain(c);
  });

  it('says "already exists" as a usage error (exit 2) and exports a stored profile that no longer validates', () => {
    const again = kubeup(['profiles', 'import', join(dir, 'ok.yaml')]);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/a profile named "lab" already exists/);
    // A hand-edited store: the entry no longer validates. The hint says to export it, and export works.
    const store = join(dir, 'config', 'profiles.json');
    const data = JSON.parse(readFileSync(store, 'utf8'));
    data.profiles.lab.network.podCidr = '10.244.0/16';
    writeFileSync(store, JSON.stringify(data));
    const up = kubeup(['plan', '--offline', '--profile', 'lab']);
    expect(up.code).toBe(3);
    expect(up.err).toMatch(/kubeup profiles export lab lab\.yaml/);
    const out = join(dir, 'lab.yaml');
    const exp = kubeup(['profiles', 'export', 'lab', out]);
    expect(exp.code, exp.err).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^# This profile does not validate/m);
    expect(text).toMatch(/^# {3}- network\.podCidr: "10\.244\.0\/16" is not a CIDR/m);
    // Fixed and imported again, it is valid.
    writeFileSync(out, text.replace('podCidr: 10.244.0/16', 'podCidr: 10.244.0.0/16'));
    expect(kubeup(['profiles', 'import', out, '--force']).code).toBe(0);
    expect(kubeup(['plan', '--offline', '--profile', 'lab']).code).toBe(0);
  });

  it('imports kube-up\'s own config-default.sh, reporting the line it cannot read', () => {
    const r = kubeup(['profiles', 'import-env', '--env-file', 'test/fixtures/kube-up/config-default.sh', '--name', 'ubuntu']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/^warning: test\/fixtures\/kube-up\/config-default\.sh:15: an array or subshell \(\.\.\.\) is not read; skipped/m);
    expect(r.out).toMatch(/address: 10\.10\.103\.250\n\s+user: vcap/);
  });

  it('certs: an unknown subcommand, --only on check, and a cluster never deployed are usage errors (exit 2) that say what to do', () => {
    const f = file('certs.yaml', GOOD);
    const cases: [string[], RegExp][] = [
      [['certs', 'rotate', '--file', f], /unknown command "certs rotate"\n {2}hint: use kubeup certs check --profile NAME, or kubeup certs renew/],
      [['certs', 'check', '--file', f, '--only', 'admin'], /--only is for kubeup certs renew/],
      [['certs', 'check', '--file', f], /kubeup has no record of a deployment of lab\n {2}hint: deploy it first: kubeup up --profile lab/],
      [['certs', 'renew', '--file', f, '--yes'], /kubeup has no record of a deployment of lab/],
    ];
    for (const [args, msg] of cases) {
      const r = kubeup(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.err).not.toMatch(/internal error|\n\s+at /);
    }
  });

  it('cache prepare and addons apply reach their own commands, not certs (a switch fall-through once sent them there)', () => {
    const f = file('route.yaml', GOOD);
    const arch = kubeup(['cache', 'prepare', '--file', f, '--arch', 'riscv64']);
    expect(arch.code, arch.err).toBe(2);
    expect(arch.err).toMatch(/unknown architecture riscv64/);
    const addons = kubeup(['addons', 'apply', '--file', f]);
    expect(addons.err).not.toMatch(/certs/);
    expect(addons.err).not.toMatch(/internal error|\n\s+at /);
  });

  it('exits quietly when the reader of its output goes away (`kubeup plan … | head`)', () => {
    const r = spawnSync('bash', ['-c', `${process.execPath} --import tsx src/cli.ts plan --offline --file profiles/classic.yaml | head -n 1; echo "status=\${PIPESTATUS[0]}" >&2`], {
      encoding: 'utf8',
      env: ENV(),
      timeout: 60_000,
    });
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).not.toMatch(/EPIPE|Error|at /);
    expect(r.stderr).toMatch(/status=0/);
  });

  it('upgrade: a --to that is no release or no known minor, a bad --max-unavailable, a cluster never deployed: exit 2 before connecting', () => {
    const profile = file('upgrade.yaml', GOOD);
    const cases: [string[], RegExp][] = [
      [['--to', 'banana'], /--to banana is not a Kubernetes release like 1\.35\.3/],
      [['--to', '1.36.0'], /--to 1\.36\.0: kubeup knows the flags of Kubernetes 1\.34 and 1\.35 only/],
      [['--to', '1.35.3', '--max-unavailable', '0'], /--max-unavailable 0 is not a whole number of at least 1/],
      [['--to', '1.35.3'], /kubeup has no record of a deployment of lab: there is nothing to upgrade/],
    ];
    for (const [args, message] of cases) {
      const r = kubeup(['upgrade', '--file', profile, '--yes', ...args]);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/internal error|at .*\.ts:\d+/);
    }
  });
});
