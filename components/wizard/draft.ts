// What the wizard edits: the profile as text fields, exactly as typed, so that going back shows what was typed
// even while it is not valid yet. draftToInput turns it into a ProfileInput for validateProfile.
import { DEFAULT_NETWORK, DEFAULT_SSH_PORT, DEFAULT_SSH_USER, DEFAULT_VERSIONS, DEFAULT_KNOWN_HOSTS } from '../../src/profile/defaults.js';
import { parseRoles, type ProfileInput } from '../../src/profile/schema.js';
import { COMPONENTS, type Component, type NetworkSettings, type Role } from '../../src/profile/types.js';

export interface HostDraft {
  address: string;
  user: string;
  port: string;
  roles: Role[];
  nodeName: string;
  identityFile: string;
  /** Not edited by the wizard; kept so that editing a saved profile does not drop it. */
  hostKey?: string;
  /** Not edited by the wizard either; kept through an edit. */
  container?: boolean;
}

export interface SshDraft {
  agent: boolean;
  identityFile: string;
  password: boolean;
  sudoPassword: boolean;
  jumpHost: string;
  knownHosts: string;
  jumpHostKey?: string;
}

export interface NetworkDraft {
  serviceCidr: string;
  podCidr: string;
  clusterDns: string;
  dnsDomain: string;
  nodePortRange: string;
  apiServerPort: string;
  flannelBackend: NetworkSettings['flannelBackend'];
}

export interface WizardDraft {
  name: string;
  hosts: HostDraft[];
  ssh: SshDraft;
  versions: Record<Component, string>;
  network: NetworkDraft;
  /** Not edited by the wizard; carried through from the profile being edited. */
  download?: ProfileInput['download'];
  /** Not edited by the wizard either: extra daemon flags written in the profile file. */
  extraArgs?: ProfileInput['extraArgs'];
  /** Cluster add-ons (CoreDNS): not edited in a form yet, shown with their defaults in the review, carried through. */
  addons?: ProfileInput['addons'];
  /** Not edited by the wizard either: the API server's audit log settings. */
  audit?: ProfileInput['audit'];
}

export function newHostDraft(): HostDraft {
  return { address: '', user: DEFAULT_SSH_USER, port: String(DEFAULT_SSH_PORT), roles: ['master', 'worker'], nodeName: '', identityFile: '' };
}

const text = (v: unknown, fallback: string): string => (v === undefined || v === null ? fallback : String(v));

/** The draft for a new profile (no initial) or for a saved one; defaults fill what the profile leaves out. */
export function draftFromInput(initial?: ProfileInput): WizardDraft {
  const ssh = initial?.ssh ?? {};
  const network = initial?.network ?? {};
  const versions = initial?.versions ?? {};
  return {
    name: initial?.name ?? '',
    hosts: (initial?.hosts ?? []).map((h) => ({
      address: h.address ?? '',
      user: text(h.user, DEFAULT_SSH_USER),
      port: text(h.port, String(DEFAULT_SSH_PORT)),
      roles: parseRoles(h.roles) ?? [],
      nodeName: h.nodeName ?? '',
      identityFile: h.identityFile ?? '',
      ...(h.hostKey !== undefined && { hostKey: h.hostKey }),
      ...(h.container !== undefined && { container: h.container }),
    })),
    ssh: {
      agent: ssh.agent ?? true,
      identityFile: ssh.identityFile ?? '',
      password: ssh.password ?? false,
      sudoPassword: ssh.sudoPassword ?? false,
      jumpHost: ssh.jumpHost ?? '',
      knownHosts: ssh.knownHosts ?? DEFAULT_KNOWN_HOSTS,
      ...(ssh.jumpHostKey !== undefined && { jumpHostKey: ssh.jumpHostKey }),
    },
    versions: Object.fromEntries(COMPONENTS.map((c) => [c, text(versions[c], DEFAULT_VERSIONS[c])])) as Record<Component, string>,
    network: {
      serviceCidr: network.serviceCidr ?? DEFAULT_NETWORK.serviceCidr,
      podCidr: network.podCidr ?? DEFAULT_NETWORK.podCidr,
      clusterDns: network.clusterDns ?? DEFAULT_NETWORK.clusterDns,
      dnsDomain: network.dnsDomain ?? DEFAULT_NETWORK.dnsDomain,
      nodePortRange: text(network.nodePortRange, DEFAULT_NETWORK.nodePortRange),
      apiServerPort: text(network.apiServerPort, String(DEFAULT_NETWORK.apiServerPort)),
      flannelBackend: network.flannelBackend ?? DEFAULT_NETWORK.flannelBackend,
    },
    ...(initial?.download !== undefined && { download: initial.download }),
    ...(initial?.extraArgs !== undefined && { extraArgs: initial.extraArgs }),
    ...(initial?.addons !== undefined && { addons: initial.addons }),
    ...(initial?.audit !== undefined && { audit: initial.audit }),
  };
}

/** A whole number as typed, or the text itself so that the validator reports it at its field. */
function portValue(s: string): number | string {
  return /^\d{1,6}$/.test(s.trim()) ? Number(s.trim()) : s;
}

const optional = (s: string): string | undefined => (s.trim() === '' ? undefined : s.trim());

export function hostToInput(h: HostDraft): ProfileInput['hosts'][number] {
  const out: Record<string, unknown> = { address: h.address.trim(), user: h.user.trim(), port: portValue(h.port), roles: h.roles };
  if (optional(h.nodeName)) out.nodeName = optional(h.nodeName);
  if (optional(h.identityFile)) out.identityFile = optional(h.identityFile);
  if (h.hostKey !== undefined) out.hostKey = h.hostKey;
  if (h.container !== undefined) out.container = h.container;
  return out as ProfileInput['hosts'][number];
}

/** The draft as a ProfileInput: what a profile file with these answers would say. Empty optional fields are left out. */
export function draftToInput(d: WizardDraft): ProfileInput {
  const ssh: Record<string, unknown> = {
    agent: d.ssh.agent,
    password: d.ssh.password,
    sudoPassword: d.ssh.sudoPassword,
    knownHosts: d.ssh.knownHosts.trim(),
  };
  if (optional(d.ssh.identityFile)) ssh.identityFile = optional(d.ssh.identityFile);
  if (optional(d.ssh.jumpHost)) ssh.jumpHost = optional(d.ssh.jumpHost);
  if (d.ssh.jumpHostKey !== undefined) ssh.jumpHostKey = d.ssh.jumpHostKey;
  const input: Record<string, unknown> = {
    name: d.name.trim(),
    hosts: d.hosts.map(hostToInput),
    ssh,
    versions: Object.fromEntries(COMPONENTS.map((c) => [c, d.versions[c].trim()])),
    network: {
      serviceCidr: d.network.serviceCidr.trim(),
      podCidr: d.network.podCidr.trim(),
      clusterDns: d.network.clusterDns.trim(),
      dnsDomain: d.network.dnsDomain.trim(),
      nodePortRange: d.network.nodePortRange.trim(),
      flannelBackend: d.network.flannelBackend,
      apiServerPort: portValue(d.network.apiServerPort),
    },
  };
  if (d.download !== undefined) input.download = d.download;
  if (d.extraArgs !== undefined) input.extraArgs = d.extraArgs;
  if (d.addons !== undefined) input.addons = d.addons;
  if (d.audit !== undefined) input.audit = d.audit;
  return input as ProfileInput;
}

/** kube-up's letters for a role set, as the wizard shows them. */
export function rolesLabel(roles: readonly Role[]): string {
  const m = roles.includes('master');
  const w = roles.includes('worker');
  if (m && w) return 'master+worker (ai)';
  if (m) return 'master (a)';
  if (w) return 'worker (i)';
  return 'none';
}
