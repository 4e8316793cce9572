// Where kubeup really connects for each profile host, after ~/.ssh/config (or ssh.configFile): a profile address may
// be a Host alias, and HostName, User, Port, IdentityFile and ProxyJump come from the file. The profile wins: a value
// from the file is taken only where the profile leaves kubeup's default (user root, port 22, no identity file, no
// jump host). The CLI applies it once, right after loading the profile, so the plan, the certificates and the
// connections all see the real addresses; what was taken is listed for the plan and the wizard.
import { existsSync } from 'node:fs';
import { ConnectError } from '../errors.js';
import { DEFAULT_SSH_PORT, DEFAULT_SSH_USER } from '../profile/defaults.js';
import { parseJumpHost } from '../profile/rules.js';
import { hostId, type HostSpec, type Profile } from '../profile/types.js';
import { readSshConfig, resolveSshHost, type SshConfig } from '../ssh/ssh-config.js';
import { expandHome } from '../state.js';

export const DEFAULT_SSH_CONFIG = '~/.ssh/config';

export interface JumpTarget {
  host: string;
  port: number;
  user?: string;
  identityFile?: string;
  /** Where the jump host came from: `ssh.jumpHost`, or a config file line. */
  field: string;
}

export interface SshTarget {
  /** Address to connect to (the alias's HostName, or the profile address). */
  address: string;
  user: string;
  port: number;
  identityFile?: string;
  identityField: string;
  jump?: JumpTarget;
  /** What came from the config file, e.g. `HostName 10.0.0.5 (~/.ssh/config:3)`. Empty: nothing. */
  taken: string[];
}

/** The config file a profile reads (undefined: none, `ssh.configFile: none`). A missing default file is no file. */
export function sshConfigFor(profile: Profile): SshConfig | undefined {
  const name = profile.ssh.configFile ?? DEFAULT_SSH_CONFIG;
  if (name === 'none') return undefined;
  const file = expandHome(name);
  if (profile.ssh.configFile === undefined && !existsSync(file)) return undefined;
  try {
    return readSshConfig(file);
  } catch (err) {
    throw new ConnectError(`cannot read the SSH config file ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      file,
      ...(profile.ssh.configFile !== undefined && { field: 'ssh.configFile' }),
      cause: err,
      hint: 'check its permissions, point ssh.configFile at another file, or set ssh.configFile: none',
    });
  }
}

export function sshTarget(profile: Profile, host: HostSpec, index: number, config: SshConfig | undefined): SshTarget {
  const field = `hosts[${index}]`;
  const fromProfile = host.identityFile ?? profile.ssh.identityFile;
  const base: SshTarget = {
    address: host.address,
    user: host.user,
    port: host.port,
    ...(fromProfile && { identityFile: fromProfile }),
    identityField: host.identityFile ? `${field}.identityFile` : 'ssh.identityFile',
    taken: [],
  };
  const profileJump = profile.ssh.jumpHost ? parseJumpHost(profile.ssh.jumpHost) : undefined;
  if (profileJump) base.jump = { ...profileJump, field: 'ssh.jumpHost' };
  if (!config) return base;
  const c = resolveSshHost(config, host.address);
  const take = (what: string, value: string | number, from: string | undefined) => base.taken.push(`${what} ${value} (${from})`);
  if (c.hostName !== undefined && c.hostName !== host.address) {
    base.address = c.hostName;
    take('HostName', c.hostName, c.from.hostName);
  }
  if (c.user !== undefined && host.user === DEFAULT_SSH_USER && c.user !== host.user) {
    base.user = c.user;
    take('User', c.user, c.from.user);
  }
  if (c.port !== undefined && host.port === DEFAULT_SSH_PORT && c.port !== host.port) {
    base.port = c.port;
    take('Port', c.port, c.from.port);
  }
  if (c.identityFile !== undefined && fromProfile === undefined) {
    base.identityFile = c.identityFile;
    base.identityField = `IdentityFile at ${c.from.identityFile}`;
    take('IdentityFile', c.identityFile, c.from.identityFile);
  }
  if (c.proxyJump !== undefined && !profileJump && c.proxyJump.toLowerCase() !== 'none') {
    base.jump = configJump(config, c.proxyJump, c.from.proxyJump!, `${field} (${hostId(host)})`);
    take('ProxyJump', c.proxyJump, c.from.proxyJump);
  }
  return base;
}

/** ProxyJump `[user@]host[:port]`, where host may itself be an alias of the file. One hop only. */
function configJump(config: SshConfig, value: string, from: string, who: string): JumpTarget {
  if (value.includes(',')) {
    throw new ConnectError(`ProxyJump ${value} (${from}) for ${who} has several hops; kubeup connects through one jump host only`, {
      hint: 'set ssh.jumpHost in the profile to the last hop, reachable directly, or use a single-hop ProxyJump',
    });
  }
  const parsed = parseJumpHost(value.replace(/^ssh:\/\//, ''));
  if (!parsed) throw new ConnectError(`ProxyJump ${value} (${from}) for ${who} is not [user@]host[:port]`, { hint: 'fix the line, or set ssh.jumpHost in the profile' });
  const c = resolveSshHost(config, parsed.host);
  const explicitPort = /:\d+$/.test(value);
  return {
    host: c.hostName ?? parsed.host,
    port: explicitPort ? parsed.port : (c.port ?? parsed.port),
    ...((parsed.user ?? c.user) !== undefined && { user: (parsed.user ?? c.user)! }),
    ...(c.identityFile !== undefined && { identityFile: c.identityFile }),
    field: `ProxyJump at ${from}`,
  };
}

export interface ResolvedProfile {
  /** The profile as kubeup uses it for this run (never saved: the stored profile keeps its aliases). */
  profile: Profile;
  /** One line per host that took something from the file, then the file's warnings. */
  notes: string[];
}

/** The profile with the SSH config applied. */
export function applySshConfig(profile: Profile, config: SshConfig | undefined = sshConfigFor(profile)): ResolvedProfile {
  if (!config) return { profile, notes: [] };
  const targets = profile.hosts.map((h, i) => sshTarget(profile, h, i, config));
  const notes = targets.flatMap((t, i) => (t.taken.length ? [`hosts[${i}] ${profile.hosts[i]!.address}: ${t.taken.join(', ')}`] : []));
  // The profile has one jump host for every host: ProxyJump lines must agree.
  const jumps = [...new Set(targets.map((t) => (t.jump ? `${t.jump.user ? `${t.jump.user}@` : ''}${t.jump.host}:${t.jump.port}` : '')))];
  if (!profile.ssh.jumpHost && jumps.length > 1) {
    throw new ConnectError(`the SSH config gives the hosts different jump hosts (${jumps.map((j) => j || 'none').join(', ')}); kubeup uses one for all hosts`, {
      file: config.file,
      hint: 'set ssh.jumpHost in the profile, or give every host of the cluster the same ProxyJump',
    });
  }
  const jump = targets[0]?.jump;
  const resolved: Profile = {
    ...profile,
    hosts: profile.hosts.map((h, i) => {
      const t = targets[i]!;
      const { identityFile: _drop, ...rest } = h;
      const identity = h.identityFile ?? (t.identityFile !== profile.ssh.identityFile ? t.identityFile : undefined);
      return { ...rest, address: t.address, user: t.user, port: t.port, ...(identity !== undefined && { identityFile: identity }) };
    }),
    ssh: {
      ...profile.ssh,
      ...(!profile.ssh.jumpHost && jump && { jumpHost: jumps[0]! }),
    },
  };
  return { profile: resolved, notes: [...notes, ...config.warnings.map((w) => `warning: ${w}`)] };
}

/** applySshConfig for display: never throws, a problem becomes a note (the wizard's review). */
export function sshConfigNotes(profile: Profile): string[] {
  try {
    return applySshConfig(profile).notes;
  } catch (err) {
    return [(err as Error).message];
  }
}
