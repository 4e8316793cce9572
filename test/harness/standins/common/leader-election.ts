/**
 * Lease-based leader election (coordination.k8s.io/v1 Lease), as client-go's leaderelection does it:
 * acquire when the lease is free or expired, then renew; stop leading when renewing fails past the deadline.
 */
import { ApiError, isNotFound, type ApiClient, type KubeObject } from './client.js';
import { klog } from './klog.js';
import { delay, microTime } from './time.js';

const log = klog('leaderelection.go:257');

export interface LeaderElectionConfig {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

interface Lease extends KubeObject {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string; acquireTime?: string; leaseTransitions?: number };
}

/** Runs until `signal` aborts; calls onStartedLeading once the lease is held and onStoppedLeading if it is lost. */
export async function runLeaderElection(
  client: ApiClient,
  cfg: LeaderElectionConfig,
  callbacks: { onStartedLeading: () => void; onStoppedLeading: () => void },
  signal: AbortSignal,
): Promise<void> {
  const path = `/apis/coordination.k8s.io/v1/namespaces/${cfg.namespace}/leases/${cfg.name}`;
  const lock = `${cfg.namespace}/${cfg.name}`;
  let leading = false;
  let lastRenew = 0;
  log.info('attempting to acquire leader lease...', { lock });
  while (!signal.aborted) {
    try {
      const ok = await tryAcquireOrRenew(client, cfg, path);
      if (ok) {
        lastRenew = Date.now();
        if (!leading) {
          leading = true;
          log.info('successfully acquired lease', { lock });
          callbacks.onStartedLeading();
        }
      } else if (leading && Date.now() - lastRenew > cfg.renewDeadlineMs) {
        leading = false;
        log.info('failed to renew lease: timed out waiting for the condition', { lock });
        callbacks.onStoppedLeading();
      }
    } catch (err) {
      log.error('error retrieving resource lock', { lock, err: (err as Error).message });
      if (leading && Date.now() - lastRenew > cfg.renewDeadlineMs) {
        leading = false;
        callbacks.onStoppedLeading();
      }
    }
    await delay(cfg.retryPeriodMs, signal);
  }
}

async function tryAcquireOrRenew(client: ApiClient, cfg: LeaderElectionConfig, path: string): Promise<boolean> {
  const now = microTime();
  const spec = { holderIdentity: cfg.identity, leaseDurationSeconds: Math.round(cfg.leaseDurationMs / 1000), renewTime: now };
  let lease: Lease;
  try {
    lease = await client.get<Lease>(path);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await client.create(path.slice(0, path.lastIndexOf('/')), {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: cfg.name, namespace: cfg.namespace },
      spec: { ...spec, acquireTime: now, leaseTransitions: 0 },
    });
    return true;
  }
  const held = lease.spec?.holderIdentity;
  const renewed = lease.spec?.renewTime ? Date.parse(lease.spec.renewTime) : 0;
  const duration = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
  if (held && held !== cfg.identity && renewed + duration > Date.now()) return false;
  const transitions = (lease.spec?.leaseTransitions ?? 0) + (held === cfg.identity ? 0 : 1);
  try {
    await client.update(path, {
      ...lease,
      spec: {
        ...lease.spec,
        ...spec,
        acquireTime: held === cfg.identity ? (lease.spec?.acquireTime ?? now) : now,
        leaseTransitions: transitions,
      },
    });
  } catch (err) {
    if (err instanceof ApiError && err.code === 409) return false;
    throw err;
  }
  return true;
}
