// The draft (what the wizard edits as text) must carry a profile through unchanged: a saved profile opened in the
// wizard and saved again without edits is the same profile.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ProfileInput } from '../../src/profile/schema.js';
import { validateProfile } from '../../src/profile/validate.js';
import { draftFromInput, draftToInput } from '../../components/wizard/draft.js';
import { formErrors, hostFormErrors } from '../../components/wizard/fields.js';
import { profileYaml } from '../../components/wizard/profile-yaml.js';

const hostArb = fc.record(
  {
    last: fc.integer({ min: 2, max: 250 }),
    user: fc.constantFrom('root', 'ubuntu', 'admin'),
    port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    identityFile: fc.option(fc.constantFrom('~/.ssh/a', '/keys/b'), { nil: undefined }),
    nodeName: fc.option(fc.constantFrom('n1', 'node-x'), { nil: undefined }),
  },
  { requiredKeys: ['last', 'user'] },
);

const profileArb: fc.Arbitrary<ProfileInput> = fc
  .record({
    name: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
    workers: fc.uniqueArray(hostArb, { minLength: 1, maxLength: 4, selector: (h) => h.last }),
    masterLetters: fc.constantFrom('a', 'ai', ['master'], ['master', 'worker']),
    agent: fc.boolean(),
    password: fc.boolean(),
    sudoPassword: fc.boolean(),
    jumpHost: fc.option(fc.constantFrom('admin@192.168.213.1:22', 'bastion'), { nil: undefined }),
    kubernetes: fc.constantFrom('1.34.4', '1.35.2', 'v1.35.0'),
    apiServerPort: fc.option(fc.constantFrom(6443, 7443), { nil: undefined }),
    flannelBackend: fc.option(fc.constantFrom('vxlan' as const, 'host-gw' as const), { nil: undefined }),
    dns: fc.option(
      fc.record({ enabled: fc.boolean(), replicas: fc.integer({ min: 1, max: 5 }), imageRepository: fc.constantFrom('registry.k8s.io', 'registry.example.com:5000/k8s'), upstreamResolvers: fc.constantFrom([], ['192.0.2.53']) }, { requiredKeys: [] }),
      { nil: undefined },
    ),
  })
  .map((r) => {
    const [master, ...workers] = r.workers;
    const hostInput = (h: typeof master, roles: unknown) => ({
      address: `192.168.213.${h!.last}`,
      user: h!.user,
      roles,
      ...(h!.port !== undefined && { port: h!.port }),
      ...(h!.identityFile !== undefined && { identityFile: h!.identityFile }),
      ...(h!.nodeName !== undefined && { nodeName: `${h!.nodeName}-${h!.last}` }),
    });
    return {
      name: r.name,
      hosts: [hostInput(master, workers.length ? r.masterLetters : 'ai'), ...workers.map((w) => hostInput(w, 'i'))],
      ssh: { agent: r.agent, password: r.password || !r.agent, sudoPassword: r.sudoPassword, ...(r.jumpHost && { jumpHost: r.jumpHost }) },
      versions: { kubernetes: r.kubernetes },
      network: { ...(r.apiServerPort && { apiServerPort: r.apiServerPort }), ...(r.flannelBackend && { flannelBackend: r.flannelBackend }) },
      ...(r.dns && { addons: { dns: r.dns } }),
    } as ProfileInput;
  });

describe('wizard draft', () => {
  it('carries any valid profile through the draft unchanged', () => {
    fc.assert(
      fc.property(profileArb, (input) => {
        const direct = validateProfile(input);
        expect(direct.issues).toEqual([]);
        const viaDraft = validateProfile(draftToInput(draftFromInput(input)));
        expect(viaDraft.profile).toEqual(direct.profile);
      }),
    );
  });

  it('shows in the review exactly the profile that will be saved', () => {
    fc.assert(
      fc.property(profileArb, (input) => {
        expect(parse(profileYaml(draftFromInput(input)))).toEqual(validateProfile(input).profile);
      }),
    );
  });

  it('shows the DNS add-on with its defaults in the review of a new profile', () => {
    const d = { ...draftFromInput(), name: 'n', hosts: [{ address: '10.1.1.1', user: 'root', port: '22', roles: ['master', 'worker'] as ('master' | 'worker')[], nodeName: '', identityFile: '' }] };
    expect(profileYaml(d)).toContain('addons:\n  dns:\n    enabled: true\n    replicas: 2\n    imageRepository: registry.k8s.io\n    upstreamResolvers: []\n');
  });

  it('starts a new profile from the defaults', () => {
    const d = draftFromInput();
    expect(d.hosts).toEqual([]);
    expect(validateProfile(draftToInput({ ...d, hosts: [{ address: '10.1.1.1', user: 'root', port: '22', roles: ['master', 'worker'], nodeName: '', identityFile: '' }], name: 'n' })).issues).toEqual([]);
  });

  it('puts each message at its field, using the profile validator', () => {
    const d = draftFromInput({ name: 'x', hosts: [{ address: '192.168.213.11', roles: 'ai' }] });
    const net = formErrors({ ...d, network: { ...d.network, podCidr: '10.244.0.1/16', clusterDns: '8.8.8.8' } }, 'network');
    expect(Object.keys(net.fields).sort()).toEqual(['clusterDns', 'podCidr']);
    expect(net.fields.podCidr).toContain('has host bits set');
    expect(net.fields.clusterDns).toContain('is outside the service CIDR');

    const dup = hostFormErrors(d, { slot: 'new', host: { ...d.hosts[0]!, nodeName: 'Bad_Name' } });
    expect(dup.fields.nodeName).toContain('is not a valid node name');
    expect(dup.form.map((i) => i.message)).toEqual(['duplicates host 1 (same address 192.168.213.11 and port 22)']);

    expect(formErrors({ ...d, name: '' }, 'name').fields.name).toContain('is empty');
    expect(formErrors({ ...d, name: '-x' }, 'name').fields.name).toContain('is not safe as a file name');
    expect(formErrors({ ...d, name: 'ok' }, 'name').fields).toEqual({});
  });
});
