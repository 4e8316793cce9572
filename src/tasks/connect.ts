// The real connector: profile fields -> the SSH layer's connect(). Tests use the same function against the
// test hosts; only unit tests of the task tree inject another.
import { parseJumpHost } from '../profile/rules.js';
import { expandHome } from '../state.js';
import { connect, JumpHostPool } from '../ssh/client.js';
import type { Credentials } from '../ssh/auth.js';
import type { Profile } from '../profile/types.js';
import type { Connected, ConnectRequest, RunSecrets } from './context.js';

function credentials(profile: Profile, identityFile: string | undefined, field: string, secrets: RunSecrets): Credentials {
  return {
    agent: profile.ssh.agent,
    ...(identityFile && { identityFile: expandHome(identityFile), identityFileField: field }),
    ...(secrets.keyPassphrase !== undefined && { passphrase: secrets.keyPassphrase }),
    ...(profile.ssh.password && secrets.sshPassword !== undefined && { password: secrets.sshPassword }),
  };
}

/** A connector for one run: hosts behind the same bastion share one login to it (one JumpHostPool per run). */
export function runConnector(): { connect: (req: ConnectRequest) => Promise<Connected>; close: () => Promise<void> } {
  const jumpHosts = new JumpHostPool();
  return { connect: (req) => connectHost(req, jumpHosts), close: () => jumpHosts.closeAll() };
}

export async function connectHost(req: ConnectRequest, jumpHosts?: JumpHostPool): Promise<Connected> {
  const { profile, host, field, secrets } = req;
  const warnings: string[] = [];
  let learned: string | undefined;
  const jump = profile.ssh.jumpHost ? parseJumpHost(profile.ssh.jumpHost) : undefined;
  const identity = host.identityFile ?? profile.ssh.identityFile;
  const identityField = host.identityFile ? `${field}.identityFile` : 'ssh.identityFile';
  const session = await connect(
    {
      host: host.address,
      port: host.port,
      user: host.user,
      field,
      ...(host.hostKey && { hostKey: host.hostKey }),
      auth: credentials(profile, identity, identityField, secrets),
      ...(secrets.sudoPassword !== undefined && { sudoPassword: secrets.sudoPassword }),
      ...(jump && {
        jump: {
          host: jump.host,
          port: jump.port,
          user: jump.user ?? host.user,
          field: 'ssh.jumpHost',
          hostKeyField: 'ssh.jumpHostKey',
          ...(profile.ssh.jumpHostKey && { hostKey: profile.ssh.jumpHostKey }),
          auth: credentials(profile, profile.ssh.identityFile, 'ssh.identityFile', secrets),
        },
      }),
    },
    {
      knownHostsFile: expandHome(profile.ssh.knownHosts),
      acceptNewHostKeys: req.acceptNewHostKeys,
      onWarning: (m) => warnings.push(m),
      // The target's own key (a bastion's learned key belongs to ssh.jumpHost, not to this host).
      onHostKeyLearned: (k) => {
        if (k.host === host.address && k.port === host.port) learned = k.fingerprint;
      },
      ...(jumpHosts && { jumpHosts }),
      ...(req.signal && { signal: req.signal }),
    },
  );
  return { session, warnings, ...(learned && { acceptedHostKey: learned }) };
}
