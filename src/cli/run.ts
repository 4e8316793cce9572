// `kubeup up` and `kubeup down` from the CLI: secrets asked once (or taken from the environment when headless),
// a confirmation unless --yes, the run, and the closing lines (where the logs and summary are).
import { readFileAtMost } from '../read-bounded.js';
import ssh2 from 'ssh2';
import { CancelledError, KubeupError, UsageError } from '../errors.js';
import type { ProfileStore } from '../profile/store.js';
import { hostId, type Profile } from '../profile/types.js';
import { expandHome, profileStateDir } from '../state.js';
import { runConnector } from '../tasks/connect.js';
import { endReportSections, wrapLines, type EndReportInput } from '../tasks/end-report.js';
import { hostLines, planSummary } from '../tasks/plan-summary.js';
import type { ClusterDiff } from '../plan/diff.js';
import { PlainRenderer } from '../tasks/plain-renderer.js';
import { existingHostLogs } from '../tasks/records.js';
import { hostsOfProfile, initialRunState, RunStore } from '../tasks/run-store.js';
import type { HostRecord } from '../provision/execute.js';
import type { RunOptions, RunSecrets } from '../tasks/context.js';
import type { CliValues } from '../cli.js';
import type { CliIo } from './io.js';

const ENV = { sshPassword: 'KUBEUP_SSH_PASSWORD', sudoPassword: 'KUBEUP_SUDO_PASSWORD', keyPassphrase: 'KUBEUP_KEY_PASSPHRASE' } as const;

function keyIsEncrypted(path: string): boolean {
  let text: Buffer;
  try {
    // No key is a megabyte; a device or a folder is not read here.
    text = readFileAtMost(expandHome(path), 1024 * 1024);
  } catch {
    return false; // a missing or unreadable file is reported by the SSH layer with the field that names it
  }
  const parsed = ssh2.utils.parseKey(text);
  return parsed instanceof Error && /passphrase/i.test(parsed.message);
}

export async function gatherSecrets(profile: Profile, io: CliIo): Promise<RunSecrets> {
  const secrets: RunSecrets = {};
  const ask = async (key: keyof typeof ENV, question: string) => {
    const fromEnv = process.env[ENV[key]];
    secrets[key] = fromEnv ?? (await io.secret(question, `run in a terminal, or set ${ENV[key]} in the environment for a headless run`));
  };
  if (profile.ssh.password) await ask('sshPassword', `SSH password for ${profile.hosts.map((h) => `${h.user}@${h.address}`).join(', ')}`);
  if (profile.ssh.sudoPassword) await ask('sudoPassword', 'sudo password on the hosts');
  const keyFiles = [profile.ssh.identityFile, ...profile.hosts.map((h) => h.identityFile)].filter((f): f is string => !!f);
  if (keyFiles.some(keyIsEncrypted)) await ask('keyPassphrase', `passphrase of ${keyFiles.find(keyIsEncrypted)}`);
  return secrets;
}

export function concurrency(v: string | undefined): number {
  if (v === undefined) return 10;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new UsageError(`--concurrency ${v} is not a number from 1 to 100`);
  return n;
}

/** `profile` is the one to run (SSH config applied); `stored` the one as saved, where learned host keys are pinned. */
/** The bounds of verify, validate and the CoreDNS wait, where the environment sets them (tests shorten them). */
export function timeoutsFromEnv(): Pick<RunOptions, 'verifyTimeoutMs' | 'validateTimeoutMs' | 'dnsTimeoutMs'> {
  const ms = (name: string) => process.env[name];
  return {
    ...(ms('KUBEUP_VERIFY_TIMEOUT_MS') && { verifyTimeoutMs: Number(ms('KUBEUP_VERIFY_TIMEOUT_MS')) }),
    ...(ms('KUBEUP_VALIDATE_TIMEOUT_MS') && { validateTimeoutMs: Number(ms('KUBEUP_VALIDATE_TIMEOUT_MS')) }),
    ...(ms('KUBEUP_DNS_TIMEOUT_MS') && { dnsTimeoutMs: Number(ms('KUBEUP_DNS_TIMEOUT_MS')) }),
  };
}

/** Whether a run gets the live view: a terminal, no --plain, and not under CI. */
export function liveTerminal(io: CliIo, values: CliValues): boolean {
  // CI as Ink reads it (set at all, unless "0" or "false"): there Ink would draw only the final frame.
  const underCi = ['CI', 'CONTINUOUS_INTEGRATION'].some((k) => k in process.env && process.env[k] !== '0' && process.env[k] !== 'false');
  return io.isTTY && !values.plain && !underCi;
}

export async function runDeployCommand(command: 'up' | 'down', profile: Profile, values: CliValues, profiles: ProfileStore, io: CliIo, stored: Profile = profile): Promise<number> {
  const yes = values.yes === true;
  let secrets: RunSecrets | undefined;
  if (!yes) {
    let what = command === 'up' ? `Deploy profile ${profile.name}?` : `Remove everything kubeup installed on these ${profile.hosts.length} hosts?`;
    let diff: ClusterDiff | undefined;
    if (command === 'up' && io.isTTY) {
      // A cluster that already runs: find what would change first (read-only), then ask.
      const day2 = await import('./day2.js');
      if (day2.clusterRuns(profile)) {
        secrets = await gatherSecrets(profile, io);
        diff = await day2.changeSummary(profile, values, secrets, io);
        io.out(day2.formatDiff(diff).trimEnd());
        what = day2.hasChanges(diff) ? `Apply these changes to cluster ${profile.name}?` : `Nothing to change on ${profile.name}; run up anyway (verify and validate)?`;
      }
    }
    // What it will do in a few lines (hosts one per line, so nothing wraps mid-address); the question stays short.
    const summary = command === 'up' ? planSummary(profile, diff) : [`Profile ${profile.name}:`, ...hostLines(profile)];
    if (summary.length) io.out(wrapLines(summary, process.stdout.columns || undefined).join('\n'));
    if (!(await io.confirm(what, `add --yes to ${command === 'up' ? 'deploy' : 'remove it'} without asking`))) {
      io.out('Nothing done.');
      return 0;
    }
  }
  secrets ??= await gatherSecrets(profile, io);
  const terminal = liveTerminal(io, values);
  // `up` in a terminal: the live run view (Ink), part of the CLI's UI and loaded only here, as cli.ts loads the wizard.
  const view = command === 'up' && terminal ? (await import('../../components/run/index.js')).openRunView(profile) : undefined;
  // Plain lines feed a store too: the end of the run is told from it, as in the live view.
  const store = view?.store ?? (command === 'up' ? new RunStore(initialRunState(hostsOfProfile(profile), profile.name)) : undefined);
  const opts: RunOptions = {
    concurrency: concurrency(values.concurrency),
    acceptNewHostKeys: values['accept-new-host-keys'] === true,
    forceUnlock: values['force-unlock'] === true,
    command: `kubeup ${command} ${values.profile ? `--profile ${values.profile}` : `--file ${values.file}`}`,
    secrets,
    stateDir: profileStateDir(profile.name),
    renderer: view ? view.renderer : store ? { factory: PlainRenderer, options: { store } } : terminal ? 'default' : 'simple',
    // Warnings of `up` are kept and told once, grouped, at the end (the live view also shows the last one).
    onWarning: (host, m) => (store ? store.dispatch({ type: 'warning', ...(host !== undefined && { host }), message: m }) : io.err(`warning: ${host ? `${host}: ` : ''}${m}`)),
    // Headless, Ctrl-C (or a SIGTERM from a CI job) cancels between steps, like q in the view; a second one quits.
    signal: view ? view.signal : cancelOnSignals(io),
    ...(command === 'up' && { remove: (await import('./day2.js')).removeOptions(values) }),
    ...timeoutsFromEnv(),
  };
  const connector = runConnector();
  const deps = { connect: connector.connect, now: () => new Date() };
  try {
    if (command === 'down') {
      const { runDown } = await import('../tasks/down.js');
      const r = await runDown(profile, { ...opts, purge: values.purge === true }, deps);
      if (r.addonsRemoved.length) io.out(`Deleted ${r.addonsRemoved.length} add-on object${r.addonsRemoved.length === 1 ? '' : 's'} through the API: ${r.addonsRemoved.join(', ')}.`);
      io.out(`Removed kubeup from ${r.cleaned.size} host${r.cleaned.size === 1 ? '' : 's'}.${r.purged ? ' Local CA removed.' : ''}`);
      io.out(`Summary: ${r.summaryPath}`);
      return 0;
    }
    const { runUp } = await import('../tasks/up.js');
    const running = runUp(profile, opts, deps);
    let r;
    try {
      r = await (view ? view.follow(running, io.err) : running);
    } catch (e) {
      if (store && e instanceof KubeupError) {
        endRun(store, e);
        printEnd(store, { error: e }, io, view !== undefined);
        return e.exitCode;
      }
      throw e;
    }
    endRun(store!, r);
    pinAcceptedKeys(stored, profile, r.ctx.acceptedHostKeys, profiles, values, io);
    printEnd(
      store!,
      { ...(r.report && { cluster: r.report }), ...(r.ctx.kubeconfigPath && { kubeconfig: { path: r.ctx.kubeconfigPath, ...(r.ctx.kubeconfigBackup && { backup: r.ctx.kubeconfigBackup }) } }) },
      io,
      view !== undefined,
    );
    return 0;
  } catch (e) {
    if (e instanceof KubeupError) {
      const { logDir: where, failedHosts } = e as KubeupError & { logDir?: string; failedHosts?: string[] };
      io.err(`kubeup: ${e.describe()}`);
      const logs = where ? Object.values(existingHostLogs(where, failedHosts ?? [])) : [];
      if (logs.length) io.err(`Log${logs.length === 1 ? '' : 's'} of the failed host${logs.length === 1 ? '' : 's'}: ${logs.join(' ')}`);
      if (where) io.err(`Run log and summary: ${where}`);
      return e.exitCode;
    }
    throw e;
  } finally {
    await connector.close();
  }
}

/** --accept-new-host-keys on a saved profile: the learned fingerprints are pinned in it, like OpenSSH's accept-new. */
function pinAcceptedKeys(profile: Profile, ran: Profile, accepted: Map<string, string>, store: ProfileStore, values: CliValues, io: CliIo): void {
  if (accepted.size === 0) return;
  const hosts = profile.hosts.map((h, i) => {
    const fp = accepted.get(hostId(ran.hosts[i] ?? h));
    return fp && !h.hostKey ? { ...h, hostKey: fp } : h;
  });
  if (values.profile) {
    store.save({ ...profile, hosts });
    io.out(`Pinned ${accepted.size} new host key${accepted.size === 1 ? '' : 's'} in profile ${profile.name} (and known_hosts).`);
  } else {
    io.out(`Added ${accepted.size} new host key${accepted.size === 1 ? '' : 's'} to known_hosts.`);
  }
}

/** Lines kept of each distinct error in a terminal: the whole error is in the run's logs and summary. */
const TERMINAL_ERROR_LINES = 6;

/** The run's records and log folder into the store, and its end if the task tree never reported one. */
function endRun(store: RunStore, outcome: { records?: Record<string, HostRecord>; logDir?: string; message?: string }): void {
  if (outcome.records) store.dispatch({ type: 'host-records', records: outcome.records });
  if (outcome.logDir && !store.getSnapshot().logDir) store.dispatch({ type: 'log-dir', dir: outcome.logDir });
  if (!store.getSnapshot().finished) {
    store.dispatch({ type: 'run-ended', ok: outcome.message === undefined, at: Date.now(), ...(outcome.message !== undefined && { error: outcome.message }) });
  }
}

function printEnd(store: RunStore, input: Omit<EndReportInput, 'state' | 'error'> & { error?: KubeupError }, io: CliIo, terminal: boolean): void {
  const { error: e, ...rest } = input;
  const state = store.getSnapshot();
  const sections = endReportSections(
    {
      ...rest,
      state,
      ...(state.logDir && { hostLogs: existingHostLogs(state.logDir, state.hosts.map((h) => h.id)) }),
      ...(e && { error: { detail: withoutTopHint(e), ...(e.hint && { hint: e.hint }), ...(e.field && { field: e.field }) } }),
      ...(e instanceof CancelledError && { cancelled: true }),
      ...(terminal && { errorLines: TERMINAL_ERROR_LINES }),
    },
    terminal ? process.stdout.columns || 80 : undefined,
  );
  // A failed run's report goes to stderr; a good run's to stdout, but for its warnings (scripts read them there).
  sections.forEach((sec, i) => (e || sec.kind === 'warnings' ? io.err : io.out)(`${i > 0 ? '\n' : ''}${sec.lines.join('\n')}`));
}

/** The error as describe() tells it, but its hint: the end report puts that with the verdict. */
function withoutTopHint(e: KubeupError): string {
  const text = e.describe();
  const tail = e.hint ? `\n  hint: ${e.hint}` : '';
  return tail && text.endsWith(tail) ? text.slice(0, -tail.length) : text;
}

export function cancelOnSignals(io: CliIo): AbortSignal {
  const controller = new AbortController();
  let first = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      // The profile store's conf loads atomically's when-exit, which hooks these signals once and, after its
      // cleanups, sends the same signal again at once: that echo is not the user's second Ctrl-C.
      if (Date.now() - first < ECHO_MS) return;
      io.err(`${sig} again: quitting at once`);
      process.exit(130);
    }
    first = Date.now();
    io.err(`${sig}: cancelling after the steps under way (remote writes are atomic); send it again to quit at once`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}

/** A second signal sooner than this after the first is when-exit's echo of it (see cancelOnSignals). */
const ECHO_MS = 1000;
