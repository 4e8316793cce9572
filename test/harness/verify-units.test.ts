// verifyUnits against the real systemd of a test host: a restart kubeup queued (systemctl restart --no-block) behind
// another unit's start leaves the unit showing its previous life (the restart counter of a crash at boot) until the
// job runs. That must neither fail verify nor pass it; a crash after the restart must still fail it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect } from '../../src/ssh/client.js';
import type { HostSession } from '../../src/ssh/session.js';
import { UnitFailureError, verifyUnits } from '../../src/verify/units.js';
import { startHosts, type TestCluster } from './hosts/index.js';
import { describeWithHosts } from './skip.js';

/** A unit whose first start exits 1 (systemd restarts it) and whose later starts run; `after` orders it. */
const crashOnce = (name: string, opts: { after?: string; startPre?: string; always?: boolean } = {}) => `[Unit]
${opts.after ? `After=${opts.after}` : ''}
[Service]
${opts.startPre ? `ExecStartPre=${opts.startPre}` : ''}
ExecStart=/bin/sh -c 'if [ -e /run/${name}.crashed ] && [ ! -e /run/${name}.always ]; then exec sleep 1000; else touch /run/${name}.crashed; exit 1; fi'
Restart=always
RestartSec=1
`;

describeWithHosts('verifyUnits on real systemd', () => {
  let cluster: TestCluster;
  let session: HostSession;
  const sh = (script: string) => session.exec(['sh', '-c', script]);

  beforeAll(async () => {
    cluster = await startHosts({ count: 1 });
    const h = cluster.hosts[0]!;
    session = await connect({ host: h.address, port: h.port, user: h.user, field: h.name, auth: { identityFile: cluster.privateKeyPath } }, { knownHostsFile: cluster.knownHostsPath, env: {} });
  });
  afterAll(async () => {
    await session?.close();
    await cluster?.stop();
  });

  it('waits for a queued restart behind a slow unit, though the unit still shows a crash from before, and passes it', async () => {
    await sh(`printf '%s' "${crashOnce('slow', { startPre: '/bin/sleep 3' }).replace(/"/g, '\\"')}" > /etc/systemd/system/slow.service
printf '%s' "${crashOnce('late', { after: 'slow.service' }).replace(/"/g, '\\"')}" > /etc/systemd/system/late.service
touch /run/slow.crashed; systemctl daemon-reload; systemctl start late.service; sleep 2.5`);
    // late.service crashed once and was restarted by systemd: its counter says 1.
    expect((await sh('systemctl show -p NRestarts,ActiveState late.service')).stdout).toBe('NRestarts=1\nActiveState=active\n');
    await sh('systemctl restart --no-block slow.service late.service');
    const seen: string[] = [];
    await verifyUnits(session, ['slow.service', 'late.service'], {
      startedThisRun: ['slow.service', 'late.service'],
      timeoutMs: 30_000,
      onStatus: (s) => seen.push(s['late.service']!),
    });
    expect(seen[0]).toBe('queued');
    expect(seen.at(-1)).toBe('active');
    expect((await sh('systemctl show -p NRestarts late.service')).stdout).toBe('NRestarts=0\n');
  });

  it('still fails a unit that crashes after the queued restart ran', async () => {
    await sh(`printf '%s' "${crashOnce('late', { after: 'slow.service' }).replace(/"/g, '\\"')}" > /etc/systemd/system/late.service
touch /run/late.always; systemctl daemon-reload; systemctl restart --no-block slow.service late.service`);
    const err = await verifyUnits(session, ['slow.service', 'late.service'], { startedThisRun: ['slow.service', 'late.service'], timeoutMs: 30_000 }).catch((e: unknown) => e);
    expect(err, String(err)).toBeInstanceOf(UnitFailureError);
    expect((err as UnitFailureError).failures.map((f) => [f.unit, f.state])).toEqual([['late.service', 'restarting']]);
    await sh('systemctl stop late.service slow.service');
  });
});
