// The plan's binaries per host and the release manifest (src/release) must name the same files, versions and
// install paths, or provisioning would look for a file the download never produced.
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../../src/plan/index.js';
import { artifactsForRoles, releaseManifest } from '../../../src/release/manifest.js';
import { loadProfile, realisticFacts } from '../render/helpers.js';

describe('plan binaries and the release manifest agree', () => {
  const profile = loadProfile('three-hosts');
  const plan = buildPlan(profile, realisticFacts(profile));
  const manifest = releaseManifest(profile, [...new Set(plan.hosts.map((h) => h.arch))]);

  for (const host of plan.hosts) {
    it(`${host.id} (${host.roles.join('+')}, ${host.arch})`, () => {
      const fromRelease = artifactsForRoles(manifest, host.roles, host.arch)
        .flatMap((a) => a.binaries.map((b) => `${b.installAs} ${b.name} ${a.component} ${a.version}`))
        .sort();
      const fromPlan = host.binaries.map((b) => `${b.path} ${b.name} ${b.component} ${b.version}`).sort();
      expect(fromPlan).toEqual(fromRelease);
    });
  }
});
