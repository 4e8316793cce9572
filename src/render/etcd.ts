// etcd on the master: TLS for clients and peers, client certificates required, trusting only etcd's own CA (so no
// node or component certificate is an etcd client). Only flags that etcd 3.4 (Debian), 3.5 and 3.6 all accept: no
// --enable-v2, no --experimental-*, no --tls-min-version (3.5+), no --config (3.6 ignores it silently).
import { ETCD_CA_CERT, ETCD_CLIENT_PORT, ETCD_DATA_DIR, ETCD_PEER_PORT, etcdCertPath, etcdKeyPath } from './paths.js';
import type { RenderContext, RenderedFile } from './types.js';
import { NETWORK_ONLINE, renderDaemonOptions, renderUnit } from './units.js';

export const ETCD_SERVER_IDENTITY = 'etcd-server';

const url = (address: string, port: number) => `https://${address.includes(':') ? `[${address}]` : address}:${port}`;

export const etcdLocalClientUrl = () => url('127.0.0.1', ETCD_CLIENT_PORT);

/**
 * TLS 1.2 suites for ECDSA keys (every kubeup certificate is P-256), the CIS benchmark's strong list; etcd's
 * transport already refuses anything below TLS 1.2, and Go picks TLS 1.3 suites itself.
 */
export const ETCD_CIPHER_SUITES = ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'];

/** Which CA etcd trusts and which certificates it serves with; `final` is the normal layout (see etcd-ca-migration.ts). */
export interface EtcdTlsFiles {
  trustedCa: string;
  serverCert: string;
  serverKey: string;
  peerCert: string;
  peerKey: string;
}

export const ETCD_TLS_FILES: EtcdTlsFiles = {
  trustedCa: ETCD_CA_CERT,
  serverCert: etcdCertPath('server'),
  serverKey: etcdKeyPath('server'),
  peerCert: etcdCertPath('peer'),
  peerKey: etcdKeyPath('peer'),
};

export function etcdFlags(ctx: RenderContext, tls: EtcdTlsFiles = ETCD_TLS_FILES): Record<string, string> {
  const { cluster } = ctx;
  // One control-plane host: the API server next to etcd is its only client and its only peer is itself, so both
  // listen on loopback and no other host can reach etcd at all.
  const clientUrl = etcdLocalClientUrl();
  const peerUrl = url('127.0.0.1', ETCD_PEER_PORT);
  const name = cluster.master.nodeName;
  return {
    'advertise-client-urls': clientUrl,
    'cert-file': tls.serverCert,
    'cipher-suites': ETCD_CIPHER_SUITES.join(','),
    'client-cert-auth': 'true',
    'data-dir': ETCD_DATA_DIR,
    'initial-advertise-peer-urls': peerUrl,
    'initial-cluster': `${name}=${peerUrl}`,
    'initial-cluster-state': 'new',
    'initial-cluster-token': cluster.name,
    'key-file': tls.serverKey,
    'listen-client-urls': clientUrl,
    'listen-peer-urls': peerUrl,
    logger: 'zap',
    name,
    'peer-cert-file': tls.peerCert,
    'peer-client-cert-auth': 'true',
    'peer-key-file': tls.peerKey,
    'peer-trusted-ca-file': tls.trustedCa,
    'trusted-ca-file': tls.trustedCa,
  };
}

export function renderEtcdOptions(ctx: RenderContext, tls: EtcdTlsFiles = ETCD_TLS_FILES): RenderedFile {
  return renderDaemonOptions(ctx, 'etcd', etcdFlags(ctx, tls));
}

export function renderEtcd(ctx: RenderContext): RenderedFile[] {
  return [
    renderEtcdOptions(ctx),
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
