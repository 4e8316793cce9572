import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BACKDATE_MS, createCa } from '../../../src/pki/ca.js';
import { issueCertificate } from '../../../src/pki/issue.js';
import { MAX_CLOCK_SKEW_SECONDS, preflightHost } from '../../../src/verify/preflight.js';
import { FakeSession } from '../../../src/ssh/fake.js';

describe('a host clock far off: no certificate "in the future" for a host that passed preflight', () => {
  it('certificates are backdated at least as far as preflight lets a clock lag', async () => {
    expect(BACKDATE_MS).toBeGreaterThanOrEqual(MAX_CLOCK_SKEW_SECONDS * 1000);
    const now = new Date('2026-12-01T12:00:00Z');
    const ca = await createCa('lab', now);
    const leaf = await issueCertificate(ca, { name: 'x', cn: 'x', sans: { dns: [], ip: [] }, usages: ['client'], ca: 'ca' }, now);
    // A host whose clock lags by the largest skew preflight allows still sees both as valid.
    const hostNow = now.getTime() - MAX_CLOCK_SKEW_SECONDS * 1000;
    for (const pem of [ca.certPem, leaf.certPem]) expect(new Date(new X509Certificate(pem).validFrom).getTime()).toBeLessThanOrEqual(hostNow);
  });

  it('preflight refuses a larger skew, saying the limit and why', async () => {
    const local = 1_800_000_000;
    const session = new FakeSession('root@h1:22', { strict: false });
    session.on(['id', '-u'], { stdout: '0\n' });
    session.on(/epoch=/, { stdout: `os=Linux\nmachine=x86_64\nsystemd=yes\nhostname=h1\nepoch=${local - MAX_CLOCK_SKEW_SECONDS - 1}\n` });
    const r = await preflightHost(session, { roles: ['master'], apiServerPort: 6443, localEpochSeconds: local });
    expect(r.problems.find((p) => p.check === 'clock')?.message).toBe(
      `the host's clock is ${MAX_CLOCK_SKEW_SECONDS + 1} s off this machine's (the limit is ${MAX_CLOCK_SKEW_SECONDS} s: certificates start ${MAX_CLOCK_SKEW_SECONDS} s before they are issued, so a host that lags more would see them as not valid yet)`,
    );
    const ok = new FakeSession('root@h1:22', { strict: false });
    ok.on(['id', '-u'], { stdout: '0\n' });
    ok.on(/epoch=/, { stdout: `os=Linux\nmachine=x86_64\nsystemd=yes\nhostname=h1\nepoch=${local - MAX_CLOCK_SKEW_SECONDS}\n` });
    expect((await preflightHost(ok, { roles: ['master'], apiServerPort: 6443, localEpochSeconds: local })).problems.filter((p) => p.check === 'clock')).toEqual([]);
  });
});
