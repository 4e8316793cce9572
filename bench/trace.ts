// `npx tsx bench/trace.ts [HOSTS]` (under the system lock): one first `up` and one no-op re-run on the test hosts,
// in this process, with every SSH round trip timed (host, start, duration, command) and each phase's span, so one
// can see where a run's time goes. Prints a timeline per run; asserts nothing. Not part of `npm run bench`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHosts } from '../test/harness/hosts/index.js';
import { startMirror } from '../test/harness/mirror/index.js';
import { e2eProfile, writeProfile } from '../test/e2e/helpers.js';
import { readProfileFile } from '../src/profile/yaml.js';
import { runConnector } from '../src/tasks/connect.js';
import { runUp } from '../src/tasks/up.js';
import { runDown } from '../src/tasks/down.js';
import type { RunOptions } from '../src/tasks/context.js';
import type { HostSession } from '../src/ssh/session.js';

interface Span {
  host: string;
  at: number;
  ms: number;
  what: string;
}

const count = Number(process.argv[2] ?? 8);
const dir = mkdtempSync(join(tmpdir(), 'kubeup-trace-'));
process.env.KUBECONFIG = join(dir, 'kubeconfig');

function traced(session: HostSession, host: string, spans: Span[], t0: () => number): HostSession {
  const time = async <T>(what: string, p: () => Promise<T>): Promise<T> => {
    const at = t0();
    try {
      return await p();
    } finally {
      spans.push({ host, at, ms: t0() - at, what: what.replace(/\s+/g, ' ').slice(0, 300) });
    }
  };
  return new Proxy(session, {
    get(target, prop, receiver) {
      if (prop === 'exec') {
        return async (argv: readonly unknown[], o?: object) => {
          let states = '';
          const r = await time(`exec ${argv.map(String).join(' ')}`, async () => {
            const x = await target.exec(argv as never, o);
            states = unitStates(x.stdout);
            return x;
          });
          if (states) spans.at(-1)!.what = `units ${states}`;
          return r;
        };
      }
      if (prop === 'upload') return (path: string, c: never, o: never) => time(`upload ${path}`, () => target.upload(path, c, o));
      if (prop === 'read') return (path: string) => time(`read ${path}`, () => target.read(path));
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** `systemctl show` blocks in an answer, in short: unit=ActiveState/SubState(restarts), for the verify timeline. */
function unitStates(stdout: string): string {
  return stdout
    .split(/\n\s*\n/)
    .map((b) => Object.fromEntries(b.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])))
    .filter((f) => f.Id && f.ActiveState)
    .map((f) => `${String(f.Id).replace(/\.service$/, '')}=${f.ActiveState}/${f.SubState}${Number(f.NRestarts) ? `(${f.NRestarts})` : ''}`)
    .join(' ');
}

async function once(title: string, profileFile: string, stateDir: string, down = false): Promise<void> {
  const profile = readProfileFile(profileFile);
  const spans: Span[] = [];
  const started = Date.now();
  const t0 = () => Date.now() - started;
  const connector = runConnector();
  const opts: RunOptions = { concurrency: 10, acceptNewHostKeys: false, secrets: {}, stateDir, renderer: 'silent', dnsTimeoutMs: 1 };
  const deps = {
    connect: async (req: Parameters<typeof connector.connect>[0]) => {
      const at = t0();
      const c = await connector.connect(req);
      spans.push({ host: req.host.address, at, ms: t0() - at, what: 'connect' });
      return { ...c, session: traced(c.session, req.host.address, spans, t0) };
    },
    now: () => new Date(),
  };
  try {
    const r = down ? await runDown(profile, { ...opts, purge: true }, deps) : await runUp(profile, opts, deps);
    if (down) return;
    const summary = (r as Awaited<ReturnType<typeof runUp>>).ctx.recorder.summary;
    console.log(`\n=== ${title}: ${t0()} ms`);
    let at = 0;
    for (const p of summary.phases) {
      console.log(`phase ${p.phase.padEnd(13)} ${String(at).padStart(6)} +${p.ms} ms`);
      at += p.ms;
    }
    const first = profile.hosts[0]!.address;
    const last = profile.hosts.at(-1)!.address;
    for (const s of spans.filter((x) => x.host === first || x.host === last).sort((a, b) => a.at - b.at)) console.log(`${s.host.padEnd(15)} ${String(s.at).padStart(6)} +${String(s.ms).padStart(5)}  ${s.what}`);
  } finally {
    await connector.close();
  }
}

async function main(): Promise<void> {
  const cluster = await startHosts({ count });
  const mirror = await startMirror();
  try {
    const roles = ['ai', ...Array<string>(count - 1).fill('i')];
    const file = writeProfile(dir, e2eProfile('trace', cluster, mirror, roles, join(dir, 'cache')));
    const state = join(dir, 'state');
    await once('warm-up (fills the cache)', file, state);
    await once('down', file, state, true);
    await once(`first up, ${count} hosts`, file, state);
    await once(`no-op re-run, ${count} hosts`, file, state);
    await once(`no-op re-run again, ${count} hosts`, file, state);
    await once('down', file, state, true);
  } finally {
    await Promise.allSettled([cluster.stop(), mirror.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`trace: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
