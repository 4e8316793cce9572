// flanneld as a systemd service with the Kubernetes subnet manager: each node's pod subnet is the podCIDR the
// controller manager assigns to its Node object.
import { isIp } from '../profile/rules.js';
import { FLANNEL_NET_CONF, kubeconfigPath } from './paths.js';
import { stableJson } from './text.js';
import { MODE_PUBLIC, ROOT, type RenderContext, type RenderedFile } from './types.js';
import { waitForPodCidr } from './wait-ready.js';
import { NETWORK_ONLINE, renderDaemonOptions, renderUnit, unitName } from './units.js';

export const FLANNEL_IDENTITY = 'flannel';

export function flanneldFlags(ctx: RenderContext): Record<string, string> {
  const { host } = ctx;
  return {
    // --iface takes an IP or an interface name; with a host name as the address flannel uses the default route's.
    ...(isIp(host.address) && { iface: host.address }),
    'ip-masq': 'true',
    'kube-subnet-mgr': 'true',
    'kubeconfig-file': kubeconfigPath('flannel'),
    'net-config-path': FLANNEL_NET_CONF,
  };
}

export function flannelNetConf(ctx: RenderContext): Record<string, unknown> {
  const { podCidr, flannelBackend } = ctx.cluster;
  const backend = { Type: flannelBackend };
  // flannel reads an IPv6 pod network only from IPv6Network, and needs IPv4 turned off for a single-stack v6 cluster.
  return podCidr.includes(':')
    ? { EnableIPv4: false, EnableIPv6: true, IPv6Network: podCidr, Backend: backend }
    : { Network: podCidr, Backend: backend };
}

export function renderFlannel(ctx: RenderContext): RenderedFile[] {
  const unit = unitName('flanneld');
  return [
    renderDaemonOptions(ctx, 'flanneld', flanneldFlags(ctx)),
    // JSON has no comments, so this file carries no kubeup header.
    { path: FLANNEL_NET_CONF, mode: MODE_PUBLIC, owner: ROOT, content: stableJson(flannelNetConf(ctx)), restarts: [unit] },
    renderUnit(ctx, {
      daemon: 'flanneld',
      description: 'flannel pod network',
      documentation: 'https://github.com/flannel-io/flannel',
      after: [NETWORK_ONLINE],
      type: 'simple',
      waitsForApiServer: 'flannel',
      execStartPre: [waitForPodCidr(ctx)],
      // flanneld looks its own Node object up by this name.
      environment: { NODE_NAME: ctx.host.nodeName },
    }),
  ];
}
