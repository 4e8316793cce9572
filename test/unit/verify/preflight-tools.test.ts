import { describe, expect, it } from 'vitest';
import { FakeSession } from '../../../src/ssh/fake.js';
import { hostTools, parseProbe, preflightHost } from '../../../src/verify/preflight.js';

describe('preflight: the host\'s transfer tools', () => {
  it('reads the formats the host expands and the programs it downloads with, preferred first', () => {
    expect(hostTools(parseProbe('have_zstd=no\nhave_xz=yes\nhave_gzip=yes\nhave_curl=no\nhave_wget=yes\n'))).toEqual({ encodings: ['xz', 'gzip'], fetchers: ['wget'] });
    expect(hostTools(parseProbe('have_zstd=yes\nhave_xz=yes\nhave_gzip=yes\nhave_curl=yes\nhave_wget=yes\n'))).toEqual({ encodings: ['zstd', 'xz', 'gzip'], fetchers: ['curl', 'wget'] });
    // A probe that printed nothing about them (an odd shell): nothing assumed, binaries go as they are.
    expect(hostTools(parseProbe('os=Linux\n'))).toEqual({ encodings: [], fetchers: [] });
  });

  it('the probe asks the host for each of them', async () => {
    const s = new FakeSession()
      .on(['id', '-u'], { stdout: '0\n' })
      .on(/^sh -c /, (cmd) => {
        for (const t of ['zstd', 'xz', 'gzip', 'curl', 'wget']) expect(cmd).toContain(t);
        return { stdout: 'os=Linux\nmachine=x86_64\nhostname=h1\nsystemd=yes\ntool_openssl=yes\nhave_zstd=yes\nhave_gzip=yes\nhave_curl=yes\nhave_xz=no\nhave_wget=no\n' };
      });
    const r = await preflightHost(s, { roles: ['master'], apiServerPort: 6443, localEpochSeconds: 0 });
    expect(r.tools).toEqual({ encodings: ['zstd', 'gzip'], fetchers: ['curl'] });
  });
});
