// The wizard's reducer without Ink: each test is a list of actions and what the state must say afterwards.
import { describe, expect, it } from 'vitest';
import { DEFAULT_ADDONS, DEFAULT_AUDIT, DEFAULT_NETWORK, DEFAULT_VERSIONS } from '../../src/profile/defaults.js';
import type { ProfileInput } from '../../src/profile/schema.js';
import { FORM_FIELDS } from '../../components/wizard/fields.js';
import {
  activeForm,
  initialWizardState,
  isTouched,
  wizardReducer,
  type WizardAction,
  type WizardState,
} from '../../components/wizard/use-wizard-state.js';

const run = (s: WizardState, ...actions: WizardAction[]) => actions.reduce(wizardReducer, s);
const fresh = (initial?: ProfileInput, names: string[] = []) => initialWizardState(initial, names);
const ONE_HOST: ProfileInput = { name: 'lab', hosts: [{ address: '192.168.213.11', roles: 'ai' }] };

/** Cursor on a field of the active form, by key. */
function focusOn(s: WizardState, key: string): WizardState {
  const form = activeForm(s)!;
  const target = FORM_FIELDS[form].findIndex((f) => f.key === key);
  return { ...s, forms: { ...s.forms, [form]: { ...s.forms[form], focus: target } } };
}
const toContinue = (s: WizardState): WizardState => {
  const form = activeForm(s)!;
  return { ...s, forms: { ...s.forms, [form]: { ...s.forms[form], focus: FORM_FIELDS[form].length } } };
};

describe('wizard state: hosts', () => {
  it('opens a new host with kubeup defaults and adds it only when it is valid', () => {
    let s = run(fresh(), { type: 'hosts-choice', choice: 'add' });
    expect(activeForm(s)).toBe('host');
    expect(s.hostEditor).toEqual({
      slot: 'new',
      host: { address: '', user: 'root', port: '22', roles: ['master', 'worker'], nodeName: '', identityFile: '' },
    });
    s = run(s, { type: 'edit', key: 'address', value: '192.168.213.300' });
    s = run(toContinue(s), { type: 'enter' });
    expect(s.draft.hosts).toEqual([]);
    expect(s.forms.host.submitted).toBe(true);
    expect(s.forms.host.focus).toBe(0); // back on the address, the field that is wrong
    s = run(s, { type: 'edit', key: 'address', value: '192.168.213.30' });
    s = run(toContinue(s), { type: 'enter' });
    expect(s.hostEditor).toBeUndefined();
    expect(s.draft.hosts.map((h) => h.address)).toEqual(['192.168.213.30']);
  });

  it('rejects a port that is not a number at the port field', () => {
    let s = run(fresh(), { type: 'hosts-choice', choice: 'add' }, { type: 'edit', key: 'address', value: 'node1' }, { type: 'edit', key: 'port', value: '22x' });
    s = run(toContinue(s), { type: 'enter' });
    expect(s.draft.hosts).toEqual([]);
    expect(FORM_FIELDS.host[s.forms.host.focus]!.key).toBe('port');
  });

  it('chooses roles from the list and moves on to the next field', () => {
    let s = run(fresh(), { type: 'hosts-choice', choice: 'add' });
    s = run(focusOn(s, 'roles'), { type: 'enter' });
    expect(s.forms.host.choosing).toBe(true);
    expect(run(s, { type: 'move', delta: 1 }).forms.host.focus).toBe(s.forms.host.focus); // the list has the arrows
    s = run(s, { type: 'choose-roles', roles: ['worker'] });
    expect(s.hostEditor!.host.roles).toEqual(['worker']);
    expect(s.forms.host.choosing).toBe(false);
    expect(FORM_FIELDS.host[s.forms.host.focus]!.key).toBe('nodeName');
  });

  it('keeps what was typed in a host editor left with Esc, for that host only', () => {
    const s = run(fresh(ONE_HOST), { type: 'hosts-choice', choice: 'add' }, { type: 'edit', key: 'address', value: '192.168.213.40' }, { type: 'back' });
    expect(s.hostEditor).toBeUndefined();
    expect(s.draft.hosts).toHaveLength(1);
    expect(run(s, { type: 'hosts-choice', choice: 'host:0' }, { type: 'host-menu-choice', choice: 'edit' }).hostEditor!.host.address).toBe('192.168.213.11');
    expect(run(s, { type: 'hosts-choice', choice: 'add' }).hostEditor!.host.address).toBe('192.168.213.40');
  });

  it('keeps nothing when a host editor is left without changes, and that alone does not ask before quitting', () => {
    const s = run(fresh(ONE_HOST), { type: 'hosts-choice', choice: 'host:0' }, { type: 'host-menu-choice', choice: 'edit' });
    expect(isTouched(s)).toBe(false);
    const left = run(s, { type: 'back' });
    expect(left.parkedHost).toBeUndefined();
    expect(run(left, { type: 'back' }).result).toEqual({ cancelled: true });
  });

  it('removes a host from its menu', () => {
    const s = run(
      fresh({ name: 'x', hosts: [{ address: 'a1', roles: 'a' }, { address: 'w1', roles: 'i' }] }),
      { type: 'hosts-choice', choice: 'host:0' },
      { type: 'host-menu-choice', choice: 'remove' },
    );
    expect(s.draft.hosts.map((h) => h.address)).toEqual(['w1']);
    expect(s.hostMenu).toBeUndefined();
  });

  it('stays on the host list while the hosts break a rule, and goes on once they do not', () => {
    const none = run(fresh(), { type: 'hosts-choice', choice: 'continue' });
    expect(none.step).toBe('hosts');
    expect(none.hostsSubmitted).toBe(true);
    expect(run(fresh(ONE_HOST), { type: 'hosts-choice', choice: 'continue' }).step).toBe('ssh');
  });
});

describe('wizard state: forms and steps', () => {
  const atSsh = () => run(fresh(ONE_HOST), { type: 'hosts-choice', choice: 'continue' });

  it('toggles only toggle fields, with Space', () => {
    let s = run(atSsh(), { type: 'toggle' });
    expect(s.draft.ssh.agent).toBe(false);
    s = run(focusOn(s, 'identityFile'), { type: 'toggle' });
    expect(s.draft.ssh.identityFile).toBe('');
  });

  it('moves the cursor around the rows, wrapping, and remembers which fields were left', () => {
    let s = run(atSsh(), { type: 'move', delta: -1 });
    expect(s.forms.ssh.focus).toBe(FORM_FIELDS.ssh.length + 1); // Back
    s = run(s, { type: 'move', delta: 1 }, { type: 'move', delta: 1 });
    expect(s.forms.ssh.focus).toBe(1);
    expect(s.forms.ssh.left).toEqual(['agent']);
  });

  it('keeps every answer when going back and forth', () => {
    let s = run(atSsh(), { type: 'edit', key: 'jumpHost', value: 'admin@bastion:2222' });
    s = run(toContinue(s), { type: 'enter' });
    expect(s.step).toBe('versions');
    s = run(s, { type: 'edit', key: 'etcd', value: '3.5.21' }, { type: 'back' }, { type: 'back' });
    expect(s.step).toBe('hosts');
    expect(s.draft.ssh.jumpHost).toBe('admin@bastion:2222');
    expect(s.draft.versions.etcd).toBe('3.5.21');
    s = run(s, { type: 'hosts-choice', choice: 'continue' });
    expect(s.step).toBe('ssh');
    expect(s.forms.ssh.focus).toBe(0);
  });

  it('will not leave the SSH step when there is no way to log in', () => {
    let s = run(atSsh(), { type: 'toggle' }); // agent off, no password, no identity file
    s = run(toContinue(s), { type: 'enter' });
    expect(s.step).toBe('ssh');
    expect(s.forms.ssh.submitted).toBe(true);
  });

  it('will not leave the network step with a bad value, and says which field', () => {
    let s = run(atSsh(), { type: 'enter' });
    s = run(toContinue(s), { type: 'enter' });
    s = run(toContinue(s), { type: 'enter' });
    expect(s.step).toBe('network');
    s = run(s, { type: 'edit', key: 'apiServerPort', value: '31000' });
    s = run(toContinue(s), { type: 'enter' });
    expect(s.step).toBe('network');
    expect(FORM_FIELDS.network[s.forms.network.focus]!.key).toBe('apiServerPort');
    s = run(s, { type: 'edit', key: 'apiServerPort', value: '6443' });
    s = run(toContinue(s), { type: 'enter' });
    expect(s.step).toBe('review');
  });
});

describe('wizard state: review, save and the end', () => {
  const atReview = (initial: ProfileInput = ONE_HOST, names: string[] = []) => {
    let s = run(fresh(initial, names), { type: 'hosts-choice', choice: 'continue' });
    for (let i = 0; i < 3; i++) s = run(toContinue(s), { type: 'enter' });
    return s;
  };

  it('clamps the review scroll to the YAML', () => {
    const s = atReview();
    expect(run(s, { type: 'review-scroll', delta: 20, max: 7 }).reviewScroll).toBe(7);
    expect(run(s, { type: 'review-scroll', delta: -3, max: 7 }).reviewScroll).toBe(0);
  });

  it('does not go to saving from a review with problems', () => {
    const s = atReview({ ...ONE_HOST, ssh: { jumpHostKey: 'nope' } });
    expect(s.step).toBe('review');
    expect(run(s, { type: 'review-choice', choice: 'save' }).step).toBe('review');
  });

  it('saves a new name straight away, with the profile validateProfile made', () => {
    let s = run(atReview({ ...ONE_HOST, name: '' }), { type: 'review-choice', choice: 'save' });
    expect(s.step).toBe('save');
    s = run(toContinue(s), { type: 'enter' });
    expect(s.save.phase).toBe('name'); // empty name
    s = run(s, { type: 'edit', key: 'name', value: 'bad name' });
    s = run(toContinue(s), { type: 'enter' });
    expect(s.save.phase).toBe('name');
    s = run(s, { type: 'edit', key: 'name', value: 'lab-2' });
    s = run(toContinue(s), { type: 'enter' });
    expect(s.save.phase).toBe('saving');
    expect(s.save.profile).toEqual({
      name: 'lab-2',
      hosts: [{ address: '192.168.213.11', user: 'root', port: 22, roles: ['master', 'worker'] }],
      ssh: { agent: true, password: false, sudoPassword: false, knownHosts: '~/.ssh/known_hosts' },
      versions: DEFAULT_VERSIONS,
      network: DEFAULT_NETWORK,
      download: { mirrors: {} },
      extraArgs: {},
      addons: DEFAULT_ADDONS,
      audit: DEFAULT_AUDIT,
    });
    s = run(s, { type: 'saved', location: '/cfg/config.json' });
    expect(s.step).toBe('finish');
    s = run(s, { type: 'finish', deployNow: true });
    expect(s.result).toEqual({ profile: s.save.profile, deployNow: true });
  });

  it('asks before overwriting a saved name; "another name" puts the cursor back on the name', () => {
    let s = run(atReview(ONE_HOST, ['lab']), { type: 'review-choice', choice: 'save' });
    s = run(toContinue(s), { type: 'enter' });
    expect(s.save.phase).toBe('confirm-overwrite');
    const renamed = run(s, { type: 'overwrite-choice', overwrite: false });
    expect(renamed.save.phase).toBe('name');
    expect(renamed.forms.name.focus).toBe(0);
    expect(run(s, { type: 'overwrite-choice', overwrite: true }).save.phase).toBe('saving');
  });

  it('shows a failed save and ignores answers that come when no save is running', () => {
    let s = run(atReview(), { type: 'review-choice', choice: 'save' });
    expect(run(s, { type: 'saved', location: '/x' }).step).toBe('save');
    s = run(toContinue(s), { type: 'enter' }, { type: 'save-failed', message: 'disk full' });
    expect(s.save).toEqual({ phase: 'failed', error: 'disk full' });
    expect(activeForm(s)).toBe('name');
  });
});

describe('wizard state: cancelling', () => {
  it('cancels at once when nothing was typed', () => {
    expect(run(fresh(), { type: 'back' }).result).toEqual({ cancelled: true });
    expect(run(fresh(ONE_HOST), { type: 'interrupt' }).result).toEqual({ cancelled: true });
  });

  it('asks first when something was typed, even in a host not added yet; a second Ctrl-C quits', () => {
    const typed = run(fresh(), { type: 'hosts-choice', choice: 'add' }, { type: 'edit', key: 'address', value: '10.1.1.1' });
    expect(isTouched(typed)).toBe(true);
    const asking = run(typed, { type: 'interrupt' });
    expect(asking.confirmingCancel).toBe(true);
    expect(asking.result).toBeUndefined();
    expect(run(asking, { type: 'confirm-cancel', discard: false }).confirmingCancel).toBe(false);
    expect(run(asking, { type: 'back' }).confirmingCancel).toBe(false);
    expect(run(asking, { type: 'interrupt' }).result).toEqual({ cancelled: true });
  });

  it('ignores every action once there is a result', () => {
    const done = run(fresh(), { type: 'back' });
    expect(run(done, { type: 'hosts-choice', choice: 'add' })).toBe(done);
  });
});

describe('wizard state: typed text', () => {
  it('keeps line breaks and other control characters out of fields', () => {
    const s = run(fresh(), { type: 'hosts-choice', choice: 'add' }, { type: 'edit', key: 'address', value: '10.1.1.1\r\r\t' });
    expect(s.hostEditor!.host.address).toBe('10.1.1.1');
  });
});
