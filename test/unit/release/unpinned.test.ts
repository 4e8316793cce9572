import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseProfileYaml } from '../../../src/profile/yaml.js';
import { validateProfile } from '../../../src/profile/validate.js';
import { releaseManifest } from '../../../src/release/manifest.js';
import { missingChecksumError, unverifiableFiles } from '../../../src/release/unpinned.js';
import { checkBeforeConnecting } from '../../../src/tasks/up.js';
import { DownloadError } from '../../../src/errors.js';
import { describeDeploy } from '../../../src/cli/deploy.js';

const HEX = 'ab'.repeat(32);
const written = { name: 'lab', hosts: [{ address: '192.168.4.218', roles: 'ai' }], versions: { flannel: '0.28.9' } };

describe('files kubeup cannot verify', () => {
  it('the default profile has none: it deploys with nothing added', () => {
    const { profile } = validateProfile({ name: 'lab', hosts: [{ address: '192.168.4.218', roles: 'ai' }] });
    expect(unverifiableFiles(profile!, ['amd64', 'arm64'])).toEqual([]);
    expect(() => checkBeforeConnecting(profile!)).not.toThrow();
  });

  it('a flannel version without a pin is refused before connecting, and the fix offered works when pasted', () => {
    const { profile } = validateProfile(written);
    const err = (() => {
      try {
        checkBeforeConnecting(profile!);
      } catch (e) {
        return e as DownloadError;
      }
      throw new Error('expected a refusal');
    })();
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toMatch(/no sha256 is known for flanneld-amd64/);
    // The first way: a version kubeup ships the sha256 for.
    expect(err.hint).toMatch(/versions\.flannel: 0\.27\.4, 0\.27\.3, 0\.26\.3, 0\.25\.0/);
    // The second: the YAML block, pasted as it is shown (after the "hint:" line, from `download:` on) at the end of
    // the profile file, with the placeholder replaced by the digest.
    const shown = err.describe().split('\n');
    const block = shown.slice(shown.findIndex((l) => l === 'download:'));
    expect(block).toEqual(['download:', '  checksums:', '    flanneld-amd64: <sha256 of the file>']);
    const pasted = `${stringify(written)}${block.join('\n').replace('<sha256 of the file>', HEX)}\n`;
    const fixed = validateProfile(parseProfileYaml(pasted, 'pasted.yaml'));
    expect(fixed.issues).toEqual([]);
    expect(releaseManifest(fixed.profile!, ['amd64']).find((a) => a.component === 'flannel')!.checksum).toEqual({
      kind: 'pinned',
      sha256: HEX,
      source: 'profile download.checksums["flanneld-amd64"]',
    });
    expect(() => checkBeforeConnecting(fixed.profile!)).not.toThrow();
  });

  it('the plan says so up front, with the same fix, and names the pin used otherwise', async () => {
    const plan = async (input: object) => {
      const lines: string[] = [];
      await describeDeploy(validateProfile(input).profile!, { out: (t) => lines.push(t), err: () => {}, isTTY: false, confirm: async () => false, secret: async () => '' });
      return lines.join('\n');
    };
    const unpinned = await plan(written);
    expect(unpinned.startsWith('Warning: no sha256 is known for flanneld-amd64; `kubeup up` stops before connecting until it is.')).toBe(true);
    expect(unpinned).toContain('download:\n  checksums:\n    flanneld-amd64: <sha256 of the file>');
    const pinned = await plan({ ...written, versions: {} });
    expect(pinned).not.toMatch(/Warning/);
    expect(pinned).toMatch(/flannel\/amd64\/flanneld-amd64 {2}https:\/\/github\.com\/flannel-io\/flannel\/releases\/download\/v0\.27\.4\/flanneld-amd64 {2}sha256 fc1233aa\w+ \(sysoperator\/kubernetes-formula/);
  });

  it('lists every file of several arches in one block', () => {
    const { profile } = validateProfile(written);
    const err = missingChecksumError(unverifiableFiles(profile!, ['amd64', 'arm64']));
    expect(err.hint).toContain('download:\n  checksums:\n    flanneld-amd64: <sha256 of the file>\n    flanneld-arm64: <sha256 of the file>');
  });
});
