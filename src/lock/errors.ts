import { EXIT, KubeupError, type KubeupErrorOptions } from '../errors.js';
import type { LockHolder } from './holder.js';

/** Another run holds the lock (on this machine or on a host). Exit 4, like other "cannot start safely" problems. */
export class LockError extends KubeupError {
  override readonly exitCode = EXIT.preflight;
  readonly holder?: LockHolder;

  constructor(message: string, holder: LockHolder | undefined, opts: KubeupErrorOptions) {
    super(message, opts);
    if (holder) this.holder = holder;
  }
}

/** What --force-unlock risks, said in the help, in the hint of a lock error and when it is used. */
export const FORCE_UNLOCK_RISK =
  'if that run is still going, both runs write to the same hosts at once and can leave files and units half-changed; ' +
  'use --force-unlock only when you know it has stopped';
