// The wizard's fields against the profile schema, and the wizard as a text field: chunks of input, user@address,
// the default role of a new host, hosts numbered as on screen, the flannel backend, the review's warnings.
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FORM_FIELDS, screenIssue, wizardCoverage } from '../../components/wizard/fields.js';
import { applyTextInput } from '../../components/wizard/TextField.js';
import { WizardApp } from '../../components/wizard/WizardApp.js';
import type { WizardResult } from '../../components/wizard/result.js';
import { schemaFields } from '../../src/profile/fields.js';
import { profileInputSchema } from '../../src/profile/schema.js';
import { unverifiableWarning } from '../../src/release/unpinned.js';
import type { Profile } from '../../src/profile/types.js';
import { KEYS, lineWith, mount, press, typeText, unmount, waitForFrame, type Rendered } from './helpers.js';

let mounted: Rendered | undefined;
afterEach(async () => {
  if (mounted) await unmount(mounted);
  mounted = undefined;
});

describe('wizard fields come from the profile schema', () => {
  it('asks for every schema field, or says where it is set instead', () => {
    const missing = wizardCoverage().filter((c) => !c.asked && !c.elsewhere);
    expect(missing, 'a schema field the wizard neither asks nor lists in SET_ELSEWHERE').toEqual([]);
    // What a first deploy can need is asked, the flannel backend included, with the schema's values.
    expect(wizardCoverage().find((c) => c.path === 'network.flannelBackend')).toEqual({ path: 'network.flannelBackend', asked: 'network' });
    expect(FORM_FIELDS.network.find((f) => f.key === 'flannelBackend')!.options).toEqual(['vxlan', 'host-gw']);
  });

  it('reports a field added to the schema that the wizard does not know (so the test above can fail)', () => {
    const grown = profileInputSchema.extend({ telemetry: z.object({ enabled: z.boolean().optional() }).optional() });
    expect(wizardCoverage(schemaFields(grown)).filter((c) => !c.asked && !c.elsewhere)).toEqual([{ path: 'telemetry.enabled' }]);
  });
});

describe('text input', () => {
  it('applies every character of a chunk: a run of Backspaces, a paste, mixed', () => {
    expect(applyTextInput('cluster.local', 13, '\x7f\x7f\x7f\x7f\x7f')).toEqual({ value: 'cluster.', cursor: 8 });
    expect(applyTextInput('', 0, '192.168.50.11')).toEqual({ value: '192.168.50.11', cursor: 13 });
    expect(applyTextInput('ab', 2, 'c\x7fd\b\bxy')).toEqual({ value: 'axy', cursor: 3 });
    expect(applyTextInput('a😀', 3, '\x7f')).toEqual({ value: 'a', cursor: 1 });
    expect(applyTextInput('a', 1, '\r\n\x1b\t')).toEqual({ value: 'a', cursor: 1 });
  });

  it('numbers hosts in messages as the screen does', () => {
    expect(screenIssue({ path: 'hosts[1].address', message: 'duplicates hosts[0] (same address)', hint: 'remove hosts[1]' })).toEqual({
      path: 'host 2.address',
      message: 'duplicates host 1 (same address)',
      hint: 'remove host 2',
    });
  });
});

/** From the SSH form's first field to the network form, leaving SSH and versions as they are. */
async function toNetwork(app: Rendered): Promise<void> {
  await waitForFrame(app, 'Use SSH agent');
  await press(app, KEYS.down, FORM_FIELDS.ssh.length);
  await press(app, KEYS.enter);
  await waitForFrame(app, 'CNI plugins');
  await press(app, KEYS.down, FORM_FIELDS.versions.length);
  await press(app, KEYS.enter);
  await waitForFrame(app, 'Flannel backend');
}

async function start(): Promise<{ app: Rendered; saved: Profile[]; results: WizardResult[] }> {
  const saved: Profile[] = [];
  const results: WizardResult[] = [];
  const app = await mount(<WizardApp existingNames={[]} save={async (p) => (saved.push(p), `/store/${p.name}`)} onResult={(r) => results.push(r)} />);
  mounted = app;
  return { app, saved, results };
}

describe('the wizard as a terminal user meets it', () => {
  it('takes user@address, defaults a second host to worker, deletes a held Backspace, and offers the flannel backend', async () => {
    const { app } = await start();
    await waitForFrame(app, 'No hosts yet');
    await press(app, KEYS.enter);
    await waitForFrame(app, 'New host');
    // kube-up's way of writing a host: the user goes to the user field.
    await typeText(app, 'vcap@192.168.50.11');
    let frame = await waitForFrame(app, /Address\s+192\.168\.50\.11/);
    expect(lineWith(frame, 'SSH user')).toContain('vcap');
    expect(lineWith(frame, 'Roles')).toContain('master+worker (ai)');
    // Three Backspaces in one read (a held key) delete three characters.
    await typeText(app, '999');
    await waitForFrame(app, /Address\s+192\.168\.50\.11999/);
    await typeText(app, '\x7f\x7f\x7f');
    frame = await waitForFrame(app, /Address\s+192\.168\.50\.11 ?\n/);
    await press(app, KEYS.down, 6); // Save host
    await press(app, KEYS.enter);
    await waitForFrame(app, '1. vcap@192.168.50.11:22  master+worker (ai)');
    // The second host: a worker by default, since a master exists.
    await press(app, KEYS.enter);
    await waitForFrame(app, 'New host');
    expect(lineWith(app.lastFrame()!, 'Roles')).toContain('worker (i)');
    await typeText(app, '192.168.50.11');
    await press(app, KEYS.down, 6);
    await press(app, KEYS.enter);
    // The same address twice: the message numbers the host as the list does.
    frame = await waitForFrame(app, 'duplicates host 1');
    expect(frame).not.toContain('hosts[0]');
    await press(app, KEYS.up, 6);
    await typeText(app, '\x7f2');
    await press(app, KEYS.down, 6);
    await press(app, KEYS.enter);
    await waitForFrame(app, '2. root@192.168.50.12:22  worker (i)');
    await press(app, KEYS.down);
    await press(app, KEYS.enter);
    await toNetwork(app);
    await press(app, KEYS.down, FORM_FIELDS.network.length - 1);
    await press(app, KEYS.space);
    frame = await waitForFrame(app, /Flannel backend\s+‹ host-gw ›/);
    await press(app, KEYS.down);
    await press(app, KEYS.enter);
    frame = await waitForFrame(app, 'the profile is valid');
    expect(frame).toMatch(/Not asked here \(edit the exported profile file, see the README\): hosts\[\]\.hostKey, hosts\[\]\.container/);
    expect(frame).not.toMatch(/no sha256 is known/);
    for (let i = 0; i < 6 && !app.lastFrame()!.includes('flannelBackend: host-gw'); i++) await press(app, KEYS.pageDown);
    await waitForFrame(app, 'flannelBackend: host-gw');
  });
});

describe('the review step', () => {
  it('says up front that a flannel version without a pin cannot be verified, with the fix', async () => {
    const initial = { name: 'lab', hosts: [{ address: '192.168.4.218', roles: 'ai' }], versions: { flannel: '0.28.9' } };
    const warn = (p: Profile) => {
      const w = unverifiableWarning(p);
      return w ? [w.trimEnd()] : [];
    };
    const app = await mount(<WizardApp initial={initial} existingNames={[]} save={async () => '/x'} onResult={() => {}} reviewWarnings={warn} />);
    mounted = app;
    await waitForFrame(app, '1. root@192.168.4.218:22');
    await press(app, KEYS.down);
    await press(app, KEYS.enter);
    await toNetwork(app);
    await press(app, KEYS.down, FORM_FIELDS.network.length);
    await press(app, KEYS.enter);
    const frame = await waitForFrame(app, 'no sha256 is known for flanneld-amd64');
    expect(frame).toContain('versions.flannel: 0.27.4');
    expect(frame).toMatch(/download:\n\s*checksums:\n\s*flanneld-amd64: <sha256 of the file>/);
  });
});
