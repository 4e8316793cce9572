// etcd on the master: TLS for clients and peers, client certificates required. Only flags that etcd 3.4 (Debian),
// 3.5 and 3.6 all accept: no --enable-v2, no --experimental-*, no --config (3.6 ignores it silently).
import { isIp } from '../profile/rules.js';
import { CA_CERT, ETCD_CLIENT_PORT, ETCD_DATA_DIR, ETCD_PEER_PORT, certPath, keyPath } from './paths.js';
import type { RenderContext, RenderedFile } from './types.js';
import { NETWORK_ONLINE, renderDaemonOptions, renderUnit } from './units.js';

export const ETCD_SERVER_IDENTITY = 'etcd-server';

const url = (address: string, port: number) => `https://${address.includes(':') ? `[${address}]` : address}:${port}`;

export const etcdLocalClientUrl = () => url('127.0.0.1', ETCD_CLIENT_PORT);

export function etcdFlags(ctx: RenderContext): Record<string, string> {
  const { cluster } = ctx;
  const address = cluster.master.address;
  // etcd binds only to IP addresses; with a host name as the master address it serves on loopback only, which is
  // all a single control plane needs (the API server talks to 127.0.0.1).
  const bindable = isIp(address) && address !== '127.0.0.1';
  const clientUrls = [etcdLocalClientUrl(), ...(bindable ? [url(address, ETCD_CLIENT_PORT)] : [])];
  const peerUrl = bindable ? url(address, ETCD_PEER_PORT) : url('127.0.0.1', ETCD_PEER_PORT);
  const name = cluster.master.nodeName;
  return {
    'advertise-client-urls': clientUrls.at(-1)!,
    'cert-file': certPath(ETCD_SERVER_IDENTITY),
    'client-cert-auth': 'true',
    'data-dir': ETCD_DATA_DIR,
    'initial-advertise-peer-urls': peerUrl,
    'initial-cluster': `${name}=${peerUrl}`,
    'initial-cluster-state': 'new',
    'initial-cluster-token': cluster.name,
    'key-file': keyPath(ETCD_SERVER_IDENTITY),
    'listen-client-urls': clientUrls.join(','),
    'listen-peer-urls': peerUrl,
    logger: 'zap',
    name,
    'peer-cert-file': certPath(ETCD_SERVER_IDENTITY),
    'peer-client-cert-auth': 'true',
    'peer-key-file': keyPath(ETCD_SERVER_IDENTITY),
    'peer-trusted-ca-file': CA_CERT,
    'trusted-ca-file': CA_CERT,
  };
}

export function renderEtcd(ctx: RenderContext): RenderedFile[] {
  return [
    renderDaemonOptions(ctx, 'etcd', etcdFlags(ctx)),
    renderUnit(ctx, {
      daemon: 'etcd',
      description: 'etcd key-value store for Kubernetes',
      documentation: 'https://etcd.io/docs',
      after: [NETWORK_ONLINE],
      // etcd 3.4, 3.5 and 3.6 call sd_notify(READY=1) once they serve clients.
      type: 'notify',
      service: [
        ['LimitNOFILE', '65536'],
        ['TimeoutStartSec', '120'],
      ],
    }),
  ];
}
