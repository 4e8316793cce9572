import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_NETWORK, DEFAULT_VERSIONS } from '../../src/profile/defaults.js';
import type { ProfileInput } from '../../src/profile/schema.js';
import type { Profile } from '../../src/profile/types.js';
import { WizardApp } from '../../components/wizard/WizardApp.js';
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

/** From the host list (cursor on "Add a host"): adds one host. roleDowns: 0 = ai, 1 = a, 2 = i. */
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
    await addHost(app, '192.168.213.12', 2);
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
    await continueForm(app, 6);

    const review = await waitForFrame(app, 'the profile is valid');
    expect(review).toContain('roles: [master, worker]');
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
});
