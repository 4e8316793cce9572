// What a run needs from outside (deps: injectable for tests) and what it accumulates (RunCtx: results only; the
// configuration stays in the immutable Profile and Plan).
import type { ListrRendererFactory } from 'listr2';
import type { Facts, Plan } from '../plan/types.js';
import type { ClusterPki } from '../pki/index.js';
import type { HostRecord } from '../provision/execute.js';
import type { FetchedArtifact } from '../release/index.js';
import type { HostSpec, Profile } from '../profile/types.js';
import type { HostLock, LockHolder } from '../lock/index.js';
import type { HostSession } from '../ssh/session.js';
import type { HostTools } from '../verify/preflight.js';
import type { RunRecorder } from './records.js';
import type { RemoveOptions } from './remove-node.js';
import type { RenewalPlan } from '../pki/renewal.js';
import type { ProofResult } from './certs-renew.js';

/** Asked at run time, held in memory only, never logged or stored. */
export interface RunSecrets {
  sshPassword?: string;
  sudoPassword?: string;
  keyPassphrase?: string;
}

export interface ConnectRequest {
  host: HostSpec;
  /** `hosts[2]`: for messages that point at the profile. */
  field: string;
  profile: Profile;
  acceptNewHostKeys: boolean;
  secrets: RunSecrets;
  /** The run's cancel: a connection still in its handshake gives up at once. */
  signal?: AbortSignal;
}

export interface Connected {
  session: HostSession;
  /** Set when the host's key was unknown and accepted (--accept-new-host-keys): the fingerprint to pin. */
  acceptedHostKey?: string;
  warnings: string[];
}

export interface RunDeps {
  connect(req: ConnectRequest): Promise<Connected>;
  now(): Date;
}

export interface RunOptions {
  /** Hosts worked on at once (default 10). */
  concurrency: number;
  acceptNewHostKeys: boolean;
  secrets: RunSecrets;
  /** The profile's state folder (CA, certificates, runs). */
  stateDir: string;
  /** Where the kubeconfig goes; default $KUBECONFIG's first path or ~/.kube/config. */
  kubeconfig?: string;
  /**
   * listr2 renderer: 'default' in a terminal, 'simple' for plain lines, 'silent' in tests, or a custom renderer class
   * (the Ink run view) with its options.
   */
  renderer: 'default' | 'simple' | 'verbose' | 'silent' | { factory: ListrRendererFactory; options?: Record<string, unknown> };
  /** Bounds for the waits (tests shorten them). */
  verifyTimeoutMs?: number;
  validateTimeoutMs?: number;
  /** How long validation waits for CoreDNS to become available (default 120 s). */
  dnsTimeoutMs?: number;
  signal?: AbortSignal;
  /** How `up` removes hosts gone from the profile (remove-node's options); default: no --force, 120 s drain. */
  remove?: RemoveOptions;
  /** --force-unlock: take the cluster's locks from another run (see src/lock). */
  forceUnlock?: boolean;
  /** What another run sees as the holder of the lock; default `kubeup <flow> <profile>`. */
  command?: string;
  /**
   * `kubeup certs renew`: the leaves to issue again (`--only` names; empty: every leaf). The run then skips removing
   * hosts and ends by proving the new certificates are in use (src/tasks/certs-renew.ts).
   */
  renewCertificates?: readonly string[];
  /** Called with warnings that do not stop the run (printed by the CLI). */
  onWarning?: (host: string | undefined, message: string) => void;
}

export interface RunCtx {
  sessions: Map<string, HostSession>;
  facts: Facts;
  plan?: Plan;
  artifacts: FetchedArtifact[];
  pki?: ClusterPki;
  records: Map<string, HostRecord>;
  /** What each host can expand and download with, from preflight (how binaries travel to it). */
  hostTools?: Map<string, HostTools>;
  /** Fingerprints accepted this run, by host id, for the caller to pin in the profile. */
  acceptedHostKeys: Map<string, string>;
  recorder: RunRecorder;
  /** The lock on each host, taken right after connecting, released when the run ends (src/lock). */
  hostLocks?: Map<string, HostLock>;
  /** The run's holder record (the local lock's), shown to another run that finds a host locked. */
  lockHolder?: LockHolder;
  kubeconfigPath?: string;
  kubeconfigBackup?: string;
  /** `certs renew`: what is renewed where, and (at the end) what proves it. */
  renewal?: RenewalPlan;
  proofs?: ProofResult[];
}
