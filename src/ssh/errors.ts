// SSH-specific refinements of the project's typed errors (src/errors.ts). They add the facts a UI panel needs.

import { ConnectError, EXIT, KubeupError, type KubeupErrorOptions } from '../errors.js';

export type HostKeyProblem = 'unknown' | 'changed' | 'revoked' | 'cert-authority';

/** The host key was not accepted. Never skipped, never downgraded to a warning. */
export class HostKeyError extends ConnectError {
  readonly problem: HostKeyProblem;
  /** Fingerprint of the key the host offered. */
  readonly offered: string;
  /** Fingerprints that were expected (known_hosts or the pinned one); empty when the host is unknown. */
  readonly expected: readonly string[];

  constructor(
    message: string,
    facts: { problem: HostKeyProblem; offered: string; expected: readonly string[] },
    opts: KubeupErrorOptions,
  ) {
    super(message, opts);
    this.problem = facts.problem;
    this.offered = facts.offered;
    this.expected = facts.expected;
  }
}

/** Every authentication method was refused, or none could be offered. */
export class AuthError extends ConnectError {
  /** What kubeup offered, in order, e.g. ['agent', 'publickey ~/.ssh/id_ed25519']. */
  readonly tried: readonly string[];
  /** What the server said it accepts (`publickey`, `password`, ...), when it said so. */
  readonly serverAccepts: readonly string[];

  constructor(message: string, facts: { tried: readonly string[]; serverAccepts: readonly string[] }, opts: KubeupErrorOptions) {
    super(message, opts);
    this.tried = facts.tried;
    this.serverAccepts = facts.serverAccepts;
  }
}

/** sudo needs a password that was not given, or refused the one given. */
export class SudoError extends KubeupError {
  override readonly exitCode = EXIT.preflight;
}
