// Never a new CA for a cluster that has one: when the local state holds no cluster CA (first run, or the state folder
// was lost), the hosts are asked first. A host that already has a CA means the state is gone, not that the cluster
// is new: issuing a new CA would cut every node off the control plane, so the run stops before anything is uploaded.
import { existsSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { CA_NAME, certFile, keyFile, PkiError } from '../pki/index.js';
import { CA_CERT } from '../render/paths.js';
import type { HostSession } from '../ssh/session.js';

export async function refuseNewCaForExistingCluster(pkiDir: string, sessions: ReadonlyMap<string, HostSession>): Promise<void> {
  if (existsSync(certFile(pkiDir, CA_NAME)) || existsSync(keyFile(pkiDir, CA_NAME))) return;
  const found = await Promise.all(
    [...sessions].map(async ([id, session]) => {
      const pem = await session.read(CA_CERT);
      return pem ? { id, subject: subjectOf(pem) } : undefined;
    }),
  );
  // Sorted: the sessions map fills in the order the connections came up, which varies from run to run.
  const hosts = found.filter((f) => f !== undefined).sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  if (hosts.length === 0) return;
  throw new PkiError(
    `the local state has no cluster CA, but ${hosts.map((h) => `${h.id} (${h.subject})`).join(', ')} already ${hosts.length === 1 ? 'has' : 'have'} one in ${CA_CERT}: ` +
      'kubeup will not make a new CA for a cluster that has one',
    {
      file: certFile(pkiDir, CA_NAME),
      hint: `restore ${certFile(pkiDir, CA_NAME)} and ${keyFile(pkiDir, CA_NAME)} (the whole folder ${pkiDir}) from a backup; to start over instead, run kubeup down first (it removes the old cluster from the hosts)`,
    },
  );
}

function subjectOf(pem: Buffer): string {
  try {
    return new X509Certificate(pem).subject.replace(/\n/g, ', ');
  } catch {
    return 'unreadable certificate';
  }
}
