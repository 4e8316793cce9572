// Moving a cluster from before etcd had its own CA (etcd trusted the cluster CA, so every node certificate was an
// etcd client) to etcd's own CA, on the next `up`, without losing data and without the API server losing etcd for
// longer than one etcd restart:
//
//   stage 1  etcd trusts both CAs and still serves with its old certificate; the API server trusts both CAs for etcd
//            and presents its new etcd-CA client certificate. Restarts: etcd (the running API server, old client
//            certificate, is still trusted), then the API server (its own restart). Then wait for /readyz.
//   stage 2  the normal files: etcd trusts only its CA and serves with its new certificate; the running API server
//            already trusts that CA and holds a certificate from it, so it loses etcd only while etcd restarts.
//            Then the API server restarts onto the final files, and the old files are removed.
//
// Stage 1 is the plan's own host with two option files swapped and one bundle added: pure data for the executor.
import type { HostPlan, Plan, RenderedFile } from '../plan/types.js';
import type { HostSession } from '../ssh/session.js';
import type { HostRecord } from './execute.js';
import { renderEtcdOptions, ETCD_TLS_FILES } from '../render/etcd.js';
import { renderKubeApiserverOptions } from '../render/kube-apiserver.js';
import { ETCD_CA_CERT, ETCD_PKI_DIR, PKI_DIR, defaultsPath } from '../render/paths.js';
import { MODE_PUBLIC, ROOT } from '../render/types.js';
import { unitName } from '../render/units.js';

/** Both CAs, etcd's and the cluster's, for the length of the move. */
export const ETCD_TRANSITION_BUNDLE = `${ETCD_PKI_DIR}/ca-transition.crt`;
/** What etcd served with before it had its own CA: signed by the cluster CA. */
export const LEGACY_ETCD_CERT = `${PKI_DIR}/etcd-server.crt`;
export const LEGACY_ETCD_KEY = `${PKI_DIR}/etcd-server.key`;
export const ETCD_OPTIONS = defaultsPath('etcd');

/**
 * Whether a master needs the two-stage move, from what its /etc/default/etcd holds now (undefined: no such file, a
 * new host) and whether the old serving certificate is still there. A move stopped half-way is taken up again.
 */
export function needsEtcdCaTransition(currentEtcdOptions: string | undefined, legacyCertPresent: boolean): boolean {
  if (currentEtcdOptions === undefined || !legacyCertPresent) return false;
  return !currentEtcdOptions.includes(`--trusted-ca-file=${ETCD_CA_CERT}`);
}

/** The master's host plan for stage 1 (see the top of this file). */
export function etcdTransitionHost(plan: Plan, host: HostPlan, cas: { clusterCaPem: string; etcdCaPem: string }): HostPlan {
  const ctx = { cluster: plan.cluster, host };
  const bundle: RenderedFile = {
    path: ETCD_TRANSITION_BUNDLE,
    mode: MODE_PUBLIC,
    owner: ROOT,
    content: `${cas.etcdCaPem.trimEnd()}\n${cas.clusterCaPem.trimEnd()}\n`,
    restarts: [unitName('etcd'), unitName('kube-apiserver')],
  };
  const etcd = renderEtcdOptions(ctx, {
    ...ETCD_TLS_FILES,
    trustedCa: ETCD_TRANSITION_BUNDLE,
    serverCert: LEGACY_ETCD_CERT,
    serverKey: LEGACY_ETCD_KEY,
    peerCert: LEGACY_ETCD_CERT,
    peerKey: LEGACY_ETCD_KEY,
  });
  const apiserver = renderKubeApiserverOptions(ctx, ETCD_TRANSITION_BUNDLE);
  const swapped = new Map([etcd, apiserver, bundle].map((f) => [f.path, f]));
  const files = [...host.files.filter((f) => !swapped.has(f.path)), ...swapped.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { ...host, files };
}

/** Removed once stage 2 ran: the old cluster-CA etcd pair (a client certificate of the cluster CA) and the bundle. */
export const ETCD_TRANSITION_LEFTOVERS = [LEGACY_ETCD_CERT, LEGACY_ETCD_KEY, ETCD_TRANSITION_BUNDLE];

/** Reads what the move depends on from the master: its etcd options and whether the old etcd certificate is there. */
export async function probeEtcdCaTransition(session: Pick<HostSession, 'read'>): Promise<boolean> {
  const [options, legacy] = await Promise.all([session.read(ETCD_OPTIONS), session.read(LEGACY_ETCD_CERT)]);
  return needsEtcdCaTransition(options?.toString('utf8'), legacy !== undefined);
}

/** Stage 1's record and stage 2's as one: every file and every restart, in the order they happened. */
export function mergeRecords(first: HostRecord, second: HostRecord): HostRecord {
  return {
    filesChanged: [...new Set([...first.filesChanged, ...second.filesChanged])],
    filesUnchanged: second.filesUnchanged,
    bytesUploaded: first.bytesUploaded + second.bytesUploaded,
    wireBytes: first.wireBytes + second.wireBytes,
    uploadMs: first.uploadMs + second.uploadMs,
    unitsRestarted: [...first.unitsRestarted, ...second.unitsRestarted],
    unitsStarted: [...first.unitsStarted, ...second.unitsStarted],
    warnings: [...first.warnings, ...second.warnings],
  };
}
