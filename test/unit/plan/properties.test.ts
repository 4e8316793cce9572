// Properties over many generated profiles: the plan is deterministic and every host's files are consistent.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildPlan, type Facts } from '../../../src/plan/index.js';
import { validateProfile } from '../../../src/profile/validate.js';
import { hostId } from '../../../src/profile/types.js';
import { defaultsPath, unitPath } from '../../../src/render/paths.js';
import { file, flagMap, optionsWords } from '../render/helpers.js';

const profileArb = fc
  .record({
    masterRoles: fc.constantFrom('a', 'ai'),
    workers: fc.uniqueArray(fc.integer({ min: 20, max: 250 }), { minLength: 1, maxLength: 4 }),
    masterOctet: fc.integer({ min: 2, max: 19 }),
    named: fc.boolean(),
    port: fc.constantFrom(22, 2222),
    backend: fc.constantFrom('vxlan', 'host-gw'),
    apiServerPort: fc.constantFrom(6443, 8443),
    kubernetes: fc.constantFrom('1.34.5', '1.35.2'),
  })
  .map((r) => ({
    name: 'prop',
    hosts: [
      { address: `10.1.0.${r.masterOctet}`, roles: r.masterRoles, ...(r.named && { nodeName: 'cp' }) },
      ...r.workers.map((o, i) => ({ address: `10.1.0.${o}`, roles: 'i', port: r.port, ...(r.named && { nodeName: `w${i}` }) })),
    ],
    versions: { kubernetes: r.kubernetes },
    network: { flannelBackend: r.backend, apiServerPort: r.apiServerPort },
  }));

describe('plan properties', () => {
  it('deterministic, one file per path, every unit with its unit and options file, restarts on the same host', () => {
    fc.assert(
      fc.property(profileArb, fc.array(fc.constantFrom('amd64', 'arm64'), { minLength: 5, maxLength: 5 }), (input, arches) => {
        const result = validateProfile(input);
        expect(result.issues).toEqual([]);
        const profile = result.profile!;
        const facts: Facts = Object.fromEntries(
          profile.hosts.map((h, i) => [hostId(h), { hostname: `node-${i}`, arch: arches[i]! as 'amd64' | 'arm64' }]),
        );
        const plan = buildPlan(profile, facts);
        expect(JSON.stringify(buildPlan(profile, facts))).toBe(JSON.stringify(plan));
        expect(plan.hosts.map((h) => h.id)).toEqual(profile.hosts.map(hostId));
        for (const h of plan.hosts) {
          const paths = h.files.map((f) => f.path);
          expect(new Set(paths).size).toBe(paths.length);
          for (const u of h.units) {
            expect(file(h, unitPath(u)).restarts).toEqual([u]);
            flagMap(optionsWords(file(h, defaultsPath(u.replace('.service', ''))).content).words);
          }
          for (const f of h.files) for (const u of f.restarts) expect(h.units).toContain(u);
          if (h.roles.includes('worker')) {
            const kubelet = flagMap(optionsWords(file(h, defaultsPath('kubelet')).content).words);
            expect(kubelet.get('hostname-override')).toBe(h.nodeName);
            expect(file(h, '/etc/kubernetes/kubelet.kubeconfig').content).toContain(`server: ${plan.cluster.apiServer.url}\n`);
          }
        }
        const apiserver = flagMap(optionsWords(file(plan.hosts[0]!, defaultsPath('kube-apiserver')).content).words);
        expect(apiserver.get('secure-port')).toBe(String(profile.network.apiServerPort));
      }),
      { numRuns: 60 },
    );
  });
});
