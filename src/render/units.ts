// systemd units. Each daemon reads its options from /etc/default/<daemon> (kube-up's place) and runs from /opt/bin.
import { binaryPath, defaultsPath, unitPath } from './paths.js';
import { header, optionsVariable, renderOptions, type Flags } from './text.js';
import { MODE_PUBLIC, ROOT, type RenderContext, type RenderedFile } from './types.js';

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
}

export const NETWORK_ONLINE = 'network-online.target';

export function renderUnit(ctx: RenderContext, spec: UnitSpec): RenderedFile {
  const unit = unitName(spec.daemon);
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
    ...(spec.execStartPre ?? []).map((c) => `ExecStartPre=${c}`),
    `ExecStart=${binaryPath(spec.daemon)} $${daemonOptionsVariable(spec.daemon)}`,
    'Restart=always',
    'RestartSec=5',
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
      const eq = a.indexOf('=');
      return eq < 0 ? [a.slice(2), true] : [a.slice(2, eq), a.slice(eq + 1)];
    }),
  );
}

/** /etc/default/<daemon>: the daemon's flags, one per line, sorted; the profile's extraArgs win over kubeup's own. */
export function renderDaemonOptions(ctx: RenderContext, daemon: Daemon, flags: Flags): RenderedFile {
  const extra = ctx.cluster.extraArgs?.[daemon] ?? [];
  return {
    path: defaultsPath(daemon),
    mode: MODE_PUBLIC,
    owner: ROOT,
    content: renderOptions(ctx.cluster.name, daemonOptionsVariable(daemon), { ...flags, ...parseExtraArgs(extra) }, extra.length ? `with the profile's extraArgs.${daemon}` : undefined),
    restarts: [unitName(daemon)],
  };
}
