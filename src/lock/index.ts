// Locks that keep two kubeup runs from changing one cluster at once (k0sctl does the same per host).
//
// Every flow that changes a cluster takes both, in this order:
//   const local = acquireLocalLock(stateDir, { command, force, onWarning });   // before connecting anywhere
//   try {
//     ... connect a host ...
//     const held = await acquireHostLock(session, hostId, { holder: local.holder, force, onWarning });
//     ... work on the host; at the end (any exit path): await held.release(); ...
//   } finally { local.release(); }
// `up` and `down` do it (src/tasks); remove-node, upgrade and certs renew call the same two functions.
// A LockError (exit 4) says who holds the lock, since when, and what to do.
export { acquireLocalLock, localLockPath, newHolder, type LocalLock, type LockRequest } from './local.js';
export { acquireHostLock, HOST_LOCK_DIR, type HostLock, type HostLockRequest } from './host.js';
export { FORCE_UNLOCK_RISK, LockError } from './errors.js';
export { describeHolder, type LockHolder } from './holder.js';
