import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_NETWORK, DEFAULT_VERSIONS } from '../../src/profile/defaults.js';
import type { ProfileInput } from '../../src/profile/schema.js';
import type { Profile } from '../../src/profile/types.js';
import { WizardApp } from '../../components/wizard/WizardApp.js';
import { FORM_FIELDS } from '../../components/wizard/fields.js';
import type { WizardResult } from '../../components/wizard/result.js';
import { KEYS, lineWith, mount, press, typeText, unmount, waitForFrame, type Rendered } from './helpers.js';

interface Harness {
  app: Rendered;
  saved: Profile[];
  results: WizardResult[];
}

let mounted: Rendered | undefined;
afterEach(async () => {
  if (mounted) await unmount(mounted);
  mounted = undefined;
});

async function start(opts: { initial?: ProfileInput; existingNames?: string[]; save?: (p: Profile) => Promise<string> } = {}): Promise<Harness> {
  const saved: Profile[] = [];
  const results: WizardResult[] = [];
  const save = opts.save ?? (async (p: Profile) => (saved.push(p), `/store/${p.name}`));
  const app = await mount(
    <WizardApp initial={opts.initial} existingNames={opts.existingNames ?? []} save={save} onResult={(r) => results.push(r)} />,
  );
  mounted = app;
  return { app, saved, results };
}

/**
 * From the host list (cursor on "Add a host"): adds one host. roleDowns: from the new host's default role (ai for
 * the first host, i once a master exists), in the list ai, a, i.
 */
async function addHost(app: Rendered, address: string, roleDowns: number): Promise<void> {
  await press(app, KEYS.enter);
  await waitForFrame(app, 'New host');
  await typeText(app, address);
  await press(app, KEYS.enter, 3); // address -> user -> port -> roles
  await press(app, KEYS.enter); // open the role list
  await waitForFrame(app, 'worker (i)\n');
  await press(app, KEYS.down, roleDowns);
  await press(app, KEYS.enter);
  await press(app, KEYS.down, 2); // node name -> identity file -> Save host
  await press(app, KEYS.enter);
  await waitForFrame(app, address);
}

const NETWORK_FIELDS = FORM_FIELDS.network.length;

/** Moves from the first field of a form to Continue and presses it. */
async function continueForm(app: Rendered, fieldCount: number): Promise<void> {
  await press(app, KEYS.down, fieldCount);
  await press(app, KEYS.enter);
}

describe('setup wizard', () => {
  it('goes from nothing to a saved profile with the roles chosen and the defaults filled in', async () => {
    const { app, saved, results } = await start();
    await waitForFrame(app, 'No hosts yet');
    await addHost(app, '192.168.213.11', 0);
    await addHost(app, '192.168.213.12', 0); // a new host after a master is a worker by default
    await press(app, KEYS.down); // Add -> Continue
    await press(app, KEYS.enter);

    await waitForFrame(app, 'Use SSH agent');
    await press(app, KEYS.down, 3); // sudo password
    await press(app, KEYS.space);
    expect(lineWith(app.lastFrame()!, 'Ask sudo password')).toContain('yes');
    await continueForm(app, 3);

    await waitForFrame(app, 'CNI plugins');
    expect(lineWith(app.lastFrame()!, 'Kubernetes')).toContain(DEFAULT_VERSIONS.kubernetes);
    await continueForm(app, 7);

    await waitForFrame(app, 'Service CIDR');
    expect(lineWith(app.lastFrame()!, 'Pod CIDR')).toContain(DEFAULT_NETWORK.podCidr);
    await continueForm(app, NETWORK_FIELDS);

    const review = await waitForFrame(app, 'the profile is valid');
    expect(review).toContain('# kubeup profile'); // exactly as `kubeup profiles export` writes it
    expect(review).toContain('name: (chosen on the next step)');
    expect(review).toContain('- address: 192.168.213.11');
    await press(app, KEYS.enter); // Save under a name

    await waitForFrame(app, 'Profile name');
    await typeText(app, 'lab');
    await press(app, KEYS.enter, 2); // name -> Save -> saving
    await waitForFrame(app, 'Deploy now');
    expect(app.lastFrame()).toContain('Saved profile lab to /store/lab');
    await press(app, KEYS.down);
    await press(app, KEYS.enter);
    await waitForFrame(app, 'deploy it later');

    expect(saved).toHaveLength(1);
    const p = saved[0]!;
    expect(p.name).toBe('lab');
    expect(p.hosts).toEqual([
      { address: '192.168.213.11', user: 'root', port: 22, roles: ['master', 'worker'] },
      { address: '192.168.213.12', user: 'root', port: 22, roles: ['worker'] },
    ]);
    expect(p.ssh).toEqual({ agent: true, password: false, sudoPassword: true, knownHosts: '~/.ssh/known_hosts' });
    expect(p.versions).toEqual(DEFAULT_VERSIONS);
    expect(p.network).toEqual(DEFAULT_NETWORK);
    expect(results).toEqual([{ profile: p, deployNow: false }]);
  });

  it('going back to the hosts and changing a role keeps every other answer', async () => {
    const { app, saved } = await start();
    await waitForFrame(app, 'No hosts yet');
    await addHost(app, '192.168.213.11', 0);
    await addHost(app, '192.168.213.12', 0); // a new host after a master is a worker by default
    await press(app, KEYS.down);
    await press(app, KEYS.enter);

    // SSH: agent off, identity file typed.
    await waitForFrame(app, 'Use SSH agent');
    await press(app, KEYS.space);
    await press(app, KEYS.down);
    await typeText(app, '~/.ssh/lab_ed25519');
    await continueForm(app, 5);
    // Versions: kubernetes changed.
    await waitForFrame(app, 'CNI plugins');
    await press(app, KEYS.backspace);
    await typeText(app, '1');
    expect(lineWith(app.lastFrame()!, 'Kubernetes')).toContain('1.35.1');
    await continueForm(app, 7);
    // Network: DNS domain changed.
    await waitForFrame(app, 'Service CIDR');
    await press(app, KEYS.down, 3);
    await press(app, KEYS.backspace, 'cluster.local'.length);
    await typeText(app, 'lab.internal');
    await press(app, KEYS.up, 3);

    // Back through every step with Esc, then make host 1 a master only.
    await press(app, KEYS.escape);
    await waitForFrame(app, 'CNI plugins');
    await press(app, KEYS.escape);
    const ssh = await waitForFrame(app, 'Use SSH agent');
    expect(lineWith(ssh, 'Identity file')).toContain('~/.ssh/lab_ed25519');
    expect(lineWith(ssh, 'Use SSH agent')).toContain('no');
    await press(app, KEYS.escape);
    await waitForFrame(app, '+ Add a host');
    await press(app, '1'); // host 1's menu
    await waitForFrame(app, 'Remove');
    await press(app, KEYS.enter); // Edit
    await waitForFrame(app, 'Host 1');
    await press(app, KEYS.down, 3);
    await press(app, KEYS.enter); // open the role list
    await waitForFrame(app, 'worker (i)\n');
    await press(app, KEYS.down); // master (a)
    await press(app, KEYS.enter);
    expect(lineWith(app.lastFrame()!, 'Roles')).toContain('master (a)');
    await press(app, KEYS.down, 2);
    await press(app, KEYS.enter); // Save host
    await waitForFrame(app, '1. root@192.168.213.11:22  master (a)');

    // Forward again: what was typed is still there.
    await press(app, KEYS.down);
    await press(app, KEYS.enter);
    await waitForFrame(app, 'Use SSH agent');
    expect(lineWith(app.lastFrame()!, 'Identity file')).toContain('~/.ssh/lab_ed25519');
    await continueForm(app, 6);
    await waitForFrame(app, 'CNI plugins');
    expect(lineWith(app.lastFrame()!, 'Kubernetes')).toContain('1.35.1');
    await continueForm(app, 7);
    await waitForFrame(app, 'Service CIDR');
    expect(lineWith(app.lastFrame()!, 'DNS domain')).toContain('lab.internal');
    await continueForm(app, NETWORK_FIELDS);
    await waitForFrame(app, 'the profile is valid');
    await press(app, KEYS.enter);
    await waitForFrame(app, 'Profile name');
    await typeText(app, 'lab');
    await press(app, KEYS.enter, 2);
    await waitForFrame(app, 'Deploy now');
    await press(app, KEYS.enter);

    const p = saved[0]!;
    expect(p.hosts.map((h) => [h.address, h.roles])).toEqual([
      ['192.168.213.11', ['master']],
      ['192.168.213.12', ['worker']],
    ]);
    expect(p.ssh).toMatchObject({ agent: false, identityFile: '~/.ssh/lab_ed25519' });
    expect(p.versions.kubernetes).toBe('1.35.1');
    expect(p.network.dnsDomain).toBe('lab.internal');
  });

  it('shows an invalid CIDR at its field and does not let the wizard go on', async () => {
    const { app } = await start({ initial: { name: 'lab', hosts: [{ address: '192.168.213.11', roles: 'ai' }] } });
    await waitForFrame(app, '1. root@192.168.213.11:22');
    await press(app, KEYS.down); // Add -> Continue
    await press(app, KEYS.enter);
    await waitForFrame(app, 'Use SSH agent');
    await continueForm(app, 6);
    await waitForFrame(app, 'CNI plugins');
    await continueForm(app, 7);
    await waitForFrame(app, 'Service CIDR');
    await press(app, KEYS.down); // pod CIDR
    await press(app, KEYS.backspace, 3);
    await typeText(app, '/33');
    await press(app, KEYS.down); // leaving the field shows its message
    let frame = await waitForFrame(app, '"10.244.0.0/33" is not a CIDR');
    const lines = frame.split('\n');
    const podLine = lines.findIndex((l) => l.includes('Pod CIDR'));
    expect(lines[podLine + 1]).toContain('✗ "10.244.0.0/33" is not a CIDR');

    await press(app, KEYS.down, 5); // Continue
    await press(app, KEYS.enter);
    frame = await waitForFrame(app, '› Pod CIDR');
    expect(frame).toContain('Service CIDR');
    expect(frame).not.toContain('profile is valid');

    // An overlap is a rule between two fields: it is shown at the pod CIDR too, and blocks as well.
    await press(app, KEYS.backspace, '10.244.0.0/33'.length);
    await typeText(app, '10.96.0.0/16');
    await press(app, KEYS.down, 6);
    await press(app, KEYS.enter);
    frame = await waitForFrame(app, 'overlaps the service CIDR');
    expect(frame).toContain('› Pod CIDR');

    await press(app, KEYS.backspace, '10.96.0.0/16'.length);
    await typeText(app, '10.200.0.0/16');
    await press(app, KEYS.down, 6);
    await press(app, KEYS.enter);
    await waitForFrame(app, 'the profile is valid');
    // Page down until the network part of the YAML is in view (how far depends on the terminal's height).
    for (let i = 0; i < 6 && !app.lastFrame()!.includes('podCidr: 10.200.0.0/16'); i++) await press(app, KEYS.pageDown);
    frame = await waitForFrame(app, 'podCidr: 10.200.0.0/16');
    expect(frame).toContain('PgUp/PgDn scroll');
  });

  it('edits a saved profile: fields prefilled, one changed, saved over the old one after asking', async () => {
    const initial: ProfileInput = {
      name: 'prod',
      hosts: [
        { address: '192.168.213.21', user: 'ubuntu', port: 2222, roles: ['master'], nodeName: 'cp-1' },
        { address: '192.168.213.22', user: 'ubuntu', roles: 'i', hostKey: `SHA256:${'A'.repeat(43)}`, container: true },
      ],
      ssh: { agent: false, identityFile: '~/.ssh/prod', sudoPassword: true, jumpHost: 'admin@192.168.213.1:22' },
      versions: { kubernetes: '1.34.4' },
      network: { podCidr: '10.200.0.0/16', flannelBackend: 'host-gw' },
      download: { mirrors: { kubernetes: 'http://mirror.example/k8s' } },
      extraArgs: { kubelet: ['--max-pods=50'] },
      addons: { dns: { replicas: 3, imageRepository: 'registry.example.com/k8s' } },
      audit: { logPath: '/srv/audit/api.log' },
    };
    const { app, saved, results } = await start({ initial, existingNames: ['prod', 'staging'] });
    const list = await waitForFrame(app, '1. ubuntu@192.168.213.21:2222  master (a)  node cp-1');
    expect(list).toContain('2. ubuntu@192.168.213.22:22  worker (i)');
    await press(app, KEYS.down);
    await press(app, KEYS.enter);

    const ssh = await waitForFrame(app, 'Use SSH agent');
    expect(lineWith(ssh, 'Use SSH agent')).toContain('no');
    expect(lineWith(ssh, 'Identity file')).toContain('~/.ssh/prod');
    expect(lineWith(ssh, 'Ask sudo password')).toContain('yes');
    expect(lineWith(ssh, 'Jump host')).toContain('admin@192.168.213.1:22');
    await continueForm(app, 6);
    const versions = await waitForFrame(app, 'CNI plugins');
    expect(lineWith(versions, 'Kubernetes')).toContain('1.34.4');
    await continueForm(app, 7);
    const network = await waitForFrame(app, 'Service CIDR');
    expect(lineWith(network, 'Pod CIDR')).toContain('10.200.0.0/16');
    // The one change: the API server port.
    await press(app, KEYS.down, 5);
    await press(app, KEYS.backspace, 4);
    await typeText(app, '7443');
    await press(app, KEYS.down, 2); // past the flannel backend to Continue
    await press(app, KEYS.enter);

    await waitForFrame(app, 'the profile is valid');
    await press(app, KEYS.enter);
    const save = await waitForFrame(app, 'Profile name');
    expect(lineWith(save, 'Profile name')).toContain('prod');
    expect(save).toContain('Saved profiles: prod, staging');
    await press(app, KEYS.enter, 2);
    await waitForFrame(app, 'A profile named prod already exists');
    expect(saved).toHaveLength(0);
    await press(app, KEYS.enter); // Overwrite prod
    await waitForFrame(app, 'Deploy now');
    await press(app, KEYS.enter);

    expect(saved).toHaveLength(1);
    const p = saved[0]!;
    expect(p.network.apiServerPort).toBe(7443);
    expect(p).toEqual({
      name: 'prod',
      hosts: [
        { address: '192.168.213.21', user: 'ubuntu', port: 2222, roles: ['master'], nodeName: 'cp-1' },
        { address: '192.168.213.22', user: 'ubuntu', port: 22, roles: ['worker'], hostKey: `SHA256:${'A'.repeat(43)}`, container: true },
      ],
      ssh: { agent: false, identityFile: '~/.ssh/prod', password: false, sudoPassword: true, jumpHost: 'admin@192.168.213.1:22', knownHosts: '~/.ssh/known_hosts' },
      versions: { ...DEFAULT_VERSIONS, kubernetes: '1.34.4' },
      network: { ...DEFAULT_NETWORK, podCidr: '10.200.0.0/16', flannelBackend: 'host-gw', apiServerPort: 7443 },
      download: { mirrors: { kubernetes: 'http://mirror.example/k8s' } },
      extraArgs: { kubelet: ['--max-pods=50'] },
      addons: { dns: { enabled: true, replicas: 3, imageRepository: 'registry.example.com/k8s', upstreamResolvers: [] } },
      audit: { enabled: true, logPath: '/srv/audit/api.log' },
    });
    expect(results).toEqual([{ profile: p, deployNow: true }]);
  });

  it('does not leave the host list while the hosts break a rule between them', async () => {
    // Each host is fine alone; two masters are not.
    const { app } = await start({
      initial: { name: 'two', hosts: [{ address: '192.168.213.11', roles: 'a' }, { address: '192.168.213.12', roles: 'ai' }] },
    });
    await waitForFrame(app, '2. root@192.168.213.12:22');
    await press(app, KEYS.down);
    await press(app, KEYS.enter);
    const blocked = await waitForFrame(app, '✗ hosts: 2 hosts have the master role');
    expect(blocked).not.toContain('Use SSH agent');
  });

  it('blocks saving on the review while validateProfile reports anything, listing each problem with its path', async () => {
    // A field the wizard does not edit, carried over from the saved profile, and wrong.
    const { app, saved } = await start({
      initial: { name: 'lab', hosts: [{ address: '192.168.213.11', roles: 'ai' }], ssh: { jumpHost: 'bastion', jumpHostKey: 'not-a-fingerprint' } },
    });
    await waitForFrame(app, '1. root@192.168.213.11:22');
    await press(app, KEYS.down);
    await press(app, KEYS.enter);
    await waitForFrame(app, 'Use SSH agent');
    await continueForm(app, 6);
    await waitForFrame(app, 'CNI plugins');
    await continueForm(app, 7);
    await waitForFrame(app, 'Service CIDR');
    await continueForm(app, NETWORK_FIELDS);
    const review = await waitForFrame(app, 'saving is blocked');
    expect(review).toContain('1 problem: saving is blocked until it is fixed');
    expect(review).toContain('✗ ssh.jumpHostKey: "not-a-fingerprint" is not a SHA256 host-key fingerprint');
    expect(review).not.toContain('Save under a name');
    await press(app, KEYS.enter); // the only choice: Back
    await waitForFrame(app, 'Service CIDR');
    expect(saved).toHaveLength(0);
  });

  it('cancels at once with Esc on the first step when nothing was typed, and asks first when something was', async () => {
    const first = await start();
    await waitForFrame(first.app, 'No hosts yet');
    await press(first.app, KEYS.escape);
    expect(first.results).toEqual([{ cancelled: true }]);
    await unmount(first.app);

    const second = await start();
    mounted = second.app;
    await waitForFrame(second.app, 'No hosts yet');
    await press(second.app, KEYS.enter);
    await waitForFrame(second.app, 'New host');
    await typeText(second.app, '192.168.213.30');
    await press(second.app, KEYS.ctrlC);
    await waitForFrame(second.app, 'Quit the setup? Nothing has been saved.');
    expect(second.results).toEqual([]);
    await press(second.app, KEYS.enter); // Keep editing
    const frame = await waitForFrame(second.app, 'New host');
    expect(lineWith(frame, 'Address')).toContain('192.168.213.30');
    await press(second.app, KEYS.ctrlC);
    await waitForFrame(second.app, 'Quit the setup?');
    await press(second.app, KEYS.down);
    await press(second.app, KEYS.enter);
    await waitForFrame(second.app, 'Setup cancelled; nothing was saved.');
    expect(second.results).toEqual([{ cancelled: true }]);
  });

  it('takes Enter pressed several times in one burst as that many presses', async () => {
    const { app } = await start();
    await waitForFrame(app, 'No hosts yet');
    await press(app, KEYS.enter);
    await waitForFrame(app, 'New host');
    await typeText(app, '192.168.213.11');
    await typeText(app, '\r\r\r\r'); // address -> user -> port -> roles -> open the list
    const frame = await waitForFrame(app, 'worker (i)\n');
    expect(lineWith(frame, 'Address')).toMatch(/Address\s+192\.168\.213\.11$/);
    expect(lineWith(frame, 'SSH port')).toMatch(/SSH port\s+22$/);
  });

  it('scrolls a host list longer than the terminal, without row numbers that digits would not match', async () => {
    const hosts = Array.from({ length: 30 }, (_, i) => ({ address: `192.168.213.${20 + i}`, roles: i === 0 ? 'a' : 'i' }));
    const { app } = await start({ initial: { name: 'big', hosts } });
    const frame = await waitForFrame(app, '+ Add a host');
    expect(frame.split('\n').length).toBeLessThanOrEqual(24);
    expect(frame).not.toMatch(/\b1\. root@/);
    await press(app, KEYS.down); // Continue scrolls into view
    await waitForFrame(app, '› Continue');
  });

  it('shows why saving failed and lets the user try again', async () => {
    let attempts = 0;
    const { app, results } = await start({
      initial: { name: 'lab', hosts: [{ address: '192.168.213.11', roles: 'ai' }] },
      save: async (p) => {
        attempts++;
        if (attempts === 1) throw new Error('EACCES: permission denied, open /store/config.json');
        return `/store/${p.name}`;
      },
    });
    await waitForFrame(app, '1. root@192.168.213.11:22');
    await press(app, KEYS.down);
    await press(app, KEYS.enter);
    await waitForFrame(app, 'Use SSH agent');
    await continueForm(app, 6);
    await waitForFrame(app, 'CNI plugins');
    await continueForm(app, 7);
    await waitForFrame(app, 'Service CIDR');
    await continueForm(app, NETWORK_FIELDS);
    await waitForFrame(app, 'the profile is valid');
    await press(app, KEYS.enter);
    await waitForFrame(app, 'Profile name');
    await press(app, KEYS.enter, 2);
    await waitForFrame(app, '✗ could not save: EACCES: permission denied');
    await press(app, KEYS.enter); // cursor is still on Save
    await waitForFrame(app, 'Deploy now');
    await press(app, KEYS.down);
    await press(app, KEYS.enter);
    expect(attempts).toBe(2);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ deployNow: false, profile: { name: 'lab' } });
  });
});
