// systemd units. Each daemon reads its options from /etc/default/<daemon> (kube-up's place) and runs from /opt/bin.
import { InternalError } from '../errors.js';
import { configValue, flagFate, splitFlag } from '../profile/component-flags.js';
import { binaryPath, defaultsPath, unitPath, type KubeconfigComponent } from './paths.js';
import { header, optionsVariable, renderOptions, type Flags } from './text.js';
import { MODE_PUBLIC, ROOT, type RenderContext, type RenderedFile } from './types.js';
import { START_TIMEOUT_SECONDS, waitForApiServer } from './wait-ready.js';

export type Daemon =
  | 'etcd'
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'containerd'
  | 'flanneld'
  | 'kubelet'
  | 'kube-proxy';

/** Start order on a host that has both roles; a host with one role keeps the same relative order. */
export const MASTER_DAEMONS: readonly Daemon[] = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];
export const WORKER_DAEMONS: readonly Daemon[] = ['containerd', 'flanneld', 'kubelet', 'kube-proxy'];

export const unitName = (daemon: Daemon) => `${daemon}.service`;

/**
 * etcd treats every ETCD_* variable in its environment as a flag and warns about unknown ones, so its options
 * variable must not start with ETCD_.
 */
export const daemonOptionsVariable = (daemon: Daemon) => (daemon === 'etcd' ? 'KUBEUP_ETCD_OPTS' : optionsVariable(daemon));

export interface UnitSpec {
  daemon: Daemon;
  description: string;
  documentation: string;
  /** Units this one starts after; each is also in Wants= unless listed in afterOnly. */
  after: string[];
  afterOnly?: string[];
  /** `notify` for daemons that call sd_notify(READY=1) once they serve (etcd, containerd). */
  type: 'notify' | 'simple';
  environment?: Record<string, string>;
  /** Commands run before the daemon; a leading `-` lets them fail. */
  execStartPre?: string[];
  /** Extra [Service] settings, written in this order after the common ones. */
  service?: [string, string][];
  /** The daemon talks to the API server as this kubeconfig's user: the unit waits for /readyz first (wait-ready.ts). */
  waitsForApiServer?: KubeconfigComponent;
}

export const NETWORK_ONLINE = 'network-online.target';

export function renderUnit(ctx: RenderContext, spec: UnitSpec): RenderedFile {
  const unit = unitName(spec.daemon);
  const wait = spec.waitsForApiServer;
  const execStartPre = [...(wait ? [waitForApiServer(ctx, wait)] : []), ...(spec.execStartPre ?? [])];
  const after = [...spec.after, ...(spec.afterOnly ?? [])];
  const lines = [
    header(ctx.cluster.name),
    '[Unit]',
    `Description=${spec.description}`,
    `Documentation=${spec.documentation}`,
    ...(after.length ? [`After=${after.join(' ')}`] : []),
    ...(spec.after.length ? [`Wants=${spec.after.join(' ')}`] : []),
    '',
    '[Service]',
    `Type=${spec.type}`,
    ...Object.keys(spec.environment ?? {})
      .sort()
      .map((k) => `Environment=${k}=${spec.environment![k]}`),
    `EnvironmentFile=${defaultsPath(spec.daemon)}`,
    ...execStartPre.map((c) => `ExecStartPre=${c}`),
    `ExecStart=${binaryPath(spec.daemon)} $${daemonOptionsVariable(spec.daemon)}`,
    'Restart=always',
    'RestartSec=5',
    ...(wait ? [`TimeoutStartSec=${START_TIMEOUT_SECONDS}`] : []),
    ...(spec.service ?? []).map(([k, v]) => `${k}=${v}`),
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  ];
  return { path: unitPath(unit), mode: MODE_PUBLIC, owner: ROOT, content: `${lines.join('\n')}\n`, restarts: [unit] };
}

/** `--name=value` / `--name` (a boolean) into flags; the profile validator has already checked their form. */
export function parseExtraArgs(args: readonly string[]): Flags {
  return Object.fromEntries(
    args.map((a) => {
      const { name, value } = splitFlag(a);
      return [name, value ?? true];
    }),
  );
}

/**
 * A daemon's extraArgs, split into what stays a flag and what goes into its config file (kube-proxy and
 * kube-scheduler ignore those flags next to --config; see profile/component-flags.ts). `moved` says which flag went
 * where, for the comment in the options file.
 */
export function extraSettings(ctx: RenderContext, daemon: Daemon): { flags: Flags; config: Record<string, unknown>; moved: string[] } {
  const flags: string[] = [];
  const config: Record<string, unknown> = {};
  const moved: string[] = [];
  for (const arg of ctx.cluster.extraArgs?.[daemon] ?? []) {
    const { name, value } = splitFlag(arg);
    const fate = flagFate(daemon, name);
    if (fate.kind === 'flag') {
      flags.push(arg);
      continue;
    }
    const v = fate.kind === 'config' ? configValue(fate.field.type, value) : undefined;
    if (fate.kind === 'refused' || !v || 'error' in v) {
      // validateProfile refuses these; a profile that got here without it is a bug.
      throw new InternalError(`extraArgs.${daemon}: --${name} cannot be honoured`, { field: `extraArgs.${daemon}`, hint: 'this is a bug in kubeup (the profile should have been refused), please report it' });
    }
    for (const path of fate.field.fields) config[path] = v.value;
    moved.push(`--${name} as ${fate.field.fields.join(', ')}`);
  }
  return { flags: parseExtraArgs(flags), config, moved };
}

/** A copy of `doc` with each dotted path set to its value (extraArgs over kubeup's own settings). */
export function withFields(doc: Record<string, unknown>, fields: Record<string, unknown>): Record<string, unknown> {
  const out = structuredClone(doc);
  for (const [path, value] of Object.entries(fields)) {
    const keys = path.split('.');
    let node = out;
    for (const k of keys.slice(0, -1)) {
      const next = node[k];
      node = (node[k] = next !== null && typeof next === 'object' && !Array.isArray(next) ? next : {}) as Record<string, unknown>;
    }
    node[keys.at(-1)!] = value;
  }
  return out;
}

/** /etc/default/<daemon>: the daemon's flags, one per line, sorted; the profile's extraArgs win over kubeup's own. */
export function renderDaemonOptions(ctx: RenderContext, daemon: Daemon, flags: Flags, configFile?: string): RenderedFile {
  const extra = ctx.cluster.extraArgs?.[daemon] ?? [];
  const settings = extraSettings(ctx, daemon);
  const comment = [
    ...(extra.length ? [`with the profile's extraArgs.${daemon}`] : []),
    ...(settings.moved.length ? [`${settings.moved.join('; ')} in ${configFile ?? 'its config file'} (${daemon} ignores these flags next to --config)`] : []),
  ];
  return {
    path: defaultsPath(daemon),
    mode: MODE_PUBLIC,
    owner: ROOT,
    content: renderOptions(ctx.cluster.name, daemonOptionsVariable(daemon), { ...flags, ...settings.flags }, comment.length ? comment.join('\n# ') : undefined),
    restarts: [unitName(daemon)],
  };
}
