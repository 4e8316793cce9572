// containerd with runc: config `version = 2`, which containerd 1.6 reads and containerd 2.x migrates on load.
import { BIN_DIR, CNI_BIN_DIR, CNI_CONF_DIR, CONTAINERD_CONFIG, CONTAINERD_SOCKET, binaryPath } from './paths.js';
import { header } from './text.js';
import { MODE_PUBLIC, ROOT, type RenderContext, type RenderedFile } from './types.js';
import { renderDaemonOptions, renderUnit, unitName } from './units.js';

/** The pause image Kubernetes 1.34 and 1.35 expect (kubeadm's default for those releases). */
export const SANDBOX_IMAGE = 'registry.k8s.io/pause:3.10.1';

// containerd finds containerd-shim-runc-v2 through PATH, and kubeup installs it in /opt/bin.
const PATH = `${BIN_DIR}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;

const CRI = 'plugins."io.containerd.grpc.v1.cri"';

export function containerdConfig(ctx: RenderContext): string {
  const q = JSON.stringify;
  return [
    header(ctx.cluster.name),
    'version = 2',
    `root = ${q('/var/lib/containerd')}`,
    `state = ${q('/run/containerd')}`,
    '',
    '[grpc]',
    `  address = ${q(CONTAINERD_SOCKET)}`,
    '',
    `[${CRI}]`,
    `  sandbox_image = ${q(SANDBOX_IMAGE)}`,
    '',
    `[${CRI}.cni]`,
    `  bin_dir = ${q(CNI_BIN_DIR)}`,
    `  conf_dir = ${q(CNI_CONF_DIR)}`,
    '',
    `[${CRI}.containerd]`,
    `  default_runtime_name = "runc"`,
    '',
    `[${CRI}.containerd.runtimes.runc]`,
    `  runtime_type = "io.containerd.runc.v2"`,
    '',
    `[${CRI}.containerd.runtimes.runc.options]`,
    `  BinaryName = ${q(binaryPath('runc'))}`,
    '  SystemdCgroup = true',
    '',
  ].join('\n');
}

export function renderContainerd(ctx: RenderContext): RenderedFile[] {
  const unit = unitName('containerd');
  return [
    renderDaemonOptions(ctx, 'containerd', { config: CONTAINERD_CONFIG }),
    { path: CONTAINERD_CONFIG, mode: MODE_PUBLIC, owner: ROOT, content: containerdConfig(ctx), restarts: [unit] },
    renderUnit(ctx, {
      daemon: 'containerd',
      description: 'containerd container runtime',
      documentation: 'https://containerd.io',
      after: [],
      afterOnly: ['local-fs.target', 'network.target'],
      // containerd reports readiness through sd_notify.
      type: 'notify',
      environment: { PATH },
      execStartPre: ['-/sbin/modprobe overlay'],
      service: [
        ['Delegate', 'yes'],
        ['KillMode', 'process'],
        ['LimitCORE', 'infinity'],
        ['LimitNOFILE', 'infinity'],
        ['LimitNPROC', 'infinity'],
        ['OOMScoreAdjust', '-999'],
        ['TasksMax', 'infinity'],
      ],
    }),
  ];
}
