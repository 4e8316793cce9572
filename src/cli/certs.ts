// `kubeup certs check` and `kubeup certs renew`. Loaded lazily by cli.ts.
import { UsageError } from '../errors.js';
import type { ProfileStore } from '../profile/store.js';
import { runConnector } from '../tasks/connect.js';
import { certsExitCode, checkCertificates, formatCertsReport, pendingNonCertChanges } from '../tasks/certs.js';
import { formatProofs } from '../tasks/certs-renew.js';
import { applySshConfig } from '../tasks/ssh-targets.js';
import type { CliValues } from '../cli.js';
import { loadProfile } from './deploy.js';
import { changeSummary, clusterRuns, quietOptions } from './day2.js';
import type { CliIo } from './io.js';
import { cancelOnSignals, gatherSecrets, timeoutsFromEnv } from './run.js';

export async function certsCommand(sub: string | undefined, values: CliValues, store: ProfileStore, io: CliIo): Promise<number> {
  if (sub !== 'check' && sub !== 'renew') throw new UsageError(`unknown command "certs ${sub ?? ''}"`, { hint: 'use kubeup certs check --profile NAME, or kubeup certs renew --profile NAME [--only NAME...]' });
  if (sub === 'check' && values.only) throw new UsageError('--only is for kubeup certs renew');
  const { profile } = applySshConfig(loadProfile(values, store));
  if (!clusterRuns(profile)) throw new UsageError(`kubeup has no record of a deployment of ${profile.name}`, { hint: `deploy it first: kubeup up --profile ${profile.name}` });
  const secrets = await gatherSecrets(profile, io);
  const connector = runConnector();
  const deps = { connect: connector.connect, now: () => new Date() };
  const base = quietOptions(profile, values, secrets, io);
  try {
    if (sub === 'check') {
      const report = await checkCertificates(profile, base, deps);
      io.out(values.json ? JSON.stringify(report, null, 2) : formatCertsReport(report).trimEnd());
      return certsExitCode(report);
    }
    // Refused before anything is issued: the renew would also apply changes of the profile that up has not applied.
    const pending = pendingNonCertChanges(await changeSummary(profile, values, secrets, io));
    if (pending.length) {
      throw new UsageError(`the cluster differs from profile ${profile.name} in more than certificates:\n${pending.map((p) => `  - ${p}`).join('\n')}`, {
        hint: `apply (or undo) those first with kubeup up --profile ${profile.name}; see kubeup plan --profile ${profile.name}`,
      });
    }
    const only = values.only ?? [];
    if (values.yes !== true) {
      const q = `Issue ${only.length ? only.join(', ') : 'every leaf certificate'} of cluster ${profile.name} again (the CAs stay), upload and restart the daemons that use them?`;
      if (!(await io.confirm(q, 'add --yes to renew without asking'))) {
        io.out('Nothing done.');
        return 0;
      }
    }
    const { runUp } = await import('../tasks/up.js');
    const r = await runUp(
      profile,
      {
        ...base,
        renewCertificates: only,
        renderer: 'simple',
        forceUnlock: values['force-unlock'] === true,
        command: `kubeup certs renew ${values.profile ? `--profile ${values.profile}` : `--file ${values.file}`}`,
        signal: cancelOnSignals(io),
        ...timeoutsFromEnv(),
      },
      deps,
    );
    const renewal = r.ctx.renewal!;
    io.out(`Renewed ${renewal.identities.length} certificates: ${renewal.identities.join(', ')}`);
    for (const h of renewal.hosts) io.out(`  ${h.id}: ${h.files.length} files, restarted ${h.restarts.join(', ') || 'nothing'}`);
    io.out('In use:');
    io.out(formatProofs(r.ctx.proofs ?? []).trimEnd());
    if (r.ctx.kubeconfigPath) io.out(`Kubeconfig: ${r.ctx.kubeconfigPath} holds the new admin certificate.`);
    io.out(`Summary: ${r.summaryPath}`);
    return 0;
  } finally {
    await connector.close();
  }
}
