// The lock steps every cluster-changing flow shares: a host is locked as soon as it is connected, and at the end of
// the run (any exit path) the locks go before the connections.
import { acquireHostLock } from '../lock/index.js';
import type { HostSession } from '../ssh/session.js';
import type { RunCtx, RunOptions } from './context.js';

/** Takes this run's lock on a host just connected (src/lock); released by releaseRun. */
export async function lockHost(ctx: RunCtx, id: string, session: HostSession, opts: RunOptions, warn: (host: string | undefined, m: string) => void): Promise<void> {
  const lock = await acquireHostLock(session, id, { holder: ctx.lockHolder!, ...(opts.forceUnlock && { force: true }), onWarning: (m) => warn(id, m) });
  (ctx.hostLocks ??= new Map()).set(id, lock);
}

/** End of a run, whatever happened: host locks released, then the connections closed. */
export async function closeRun(ctx: RunCtx): Promise<void> {
  await Promise.allSettled([...(ctx.hostLocks?.values() ?? [])].map((l) => l.release()));
  await Promise.allSettled([...ctx.sessions.values()].map((s) => s.close()));
}

