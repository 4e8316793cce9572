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

describe('preflight: download.from: hosts', () => {
  const probe = (fetchers: string) => `os=Linux\nmachine=x86_64\nhostname=h1\nsystemd=yes\ntool_openssl=yes\n${fetchers}`;
  const input = (urls: string[]) => ({ roles: ['master' as const], apiServerPort: 6443, localEpochSeconds: 0, hostDownloads: { urls: (arch: string) => urls.map((u) => `${u}/${arch}`), proxy: 'http://proxy:3128' } });

  it('a host without curl or wget is a problem', async () => {
    const s = new FakeSession().on(['id', '-u'], { stdout: '0\n' }).on(/^sh -c /, { stdout: probe('have_curl=no\nhave_wget=no\n') });
    const r = await preflightHost(s, input(['http://mirror']));
    expect(r.problems).toEqual([expect.objectContaining({ check: 'download.from', message: expect.stringMatching(/neither curl nor wget is installed/) })]);
  });

  it('asks the host to reach each mirror for its arch, with the proxy on stdin, and says which one it cannot reach', async () => {
    let stdin = '';
    const s = new FakeSession()
      .on(['id', '-u'], { stdout: '0\n' })
      .on(/^sh -c 'IFS= read -r proxy/, (cmd, opts) => {
        stdin = String(opts?.stdin ?? '');
        expect(cmd).toMatch(/ sh curl http:\/\/a\/amd64 http:\/\/b\/amd64$/);
        return { stdout: 'unreachable http://b/amd64 curl: (7) Failed to connect to b port 80 \n' };
      })
      .on(/^sh -c /, { stdout: probe('have_curl=yes\nhave_wget=yes\n') });
    const r = await preflightHost(s, input(['http://a', 'http://b']));
    expect(stdin).toBe('http://proxy:3128\n');
    expect(r.problems).toEqual([
      {
        check: 'download.from',
        message: 'the host cannot reach http://b/amd64 with curl: curl: (7) Failed to connect to b port 80',
        hint: 'with download.from: hosts each host downloads its releases itself: give it a route to the mirror (download.mirrors) or check download.proxy, or leave download.from out so that this machine sends them',
      },
    ]);
  });
});
