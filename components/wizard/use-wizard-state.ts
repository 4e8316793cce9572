// The wizard as a pure reducer: every key press becomes an action, every screen is a function of this state.
// Nothing here renders or does I/O; saving is requested through `save.phase === 'saving'` and answered with
// the `saved` / `save-failed` actions.
import { useReducer } from 'react';
import type { ProfileInput } from '../../src/profile/schema.js';
import type { Profile, Role } from '../../src/profile/types.js';
import { validateProfile } from '../../src/profile/validate.js';
import { formatIssue } from '../../src/errors.js';
import { draftFromInput, draftToInput, newHostDraft, type HostDraft, type WizardDraft } from './draft.js';
import {
  FORM_FIELDS,
  formErrors,
  hasErrors,
  hostFormErrors,
  hostsListErrors,
  profileIssues,
  splitUserAtAddress,
  type FieldValue,
  type FormErrors,
  type FormId,
  type HostEditor,
} from './fields.js';
import type { WizardResult } from './result.js';

export type StepId = 'hosts' | 'ssh' | 'versions' | 'network' | 'review' | 'save' | 'finish';
/** Steps in order; `finish` (deploy now or later) comes after the profile is saved. */
export const STEPS: readonly StepId[] = ['hosts', 'ssh', 'versions', 'network', 'review', 'save', 'finish'];

export interface FormState {
  /** Row with the cursor: a field index, or fields.length (Continue) / fields.length + 1 (Back). */
  focus: number;
  /** Fields the cursor has left: their messages are shown from then on. */
  left: string[];
  /** Continue was pressed: every message is shown. */
  submitted: boolean;
  /** The role list is open on the focused field. */
  choosing: boolean;
}

export type SavePhase = 'name' | 'confirm-overwrite' | 'saving' | 'failed';

export interface WizardState {
  step: StepId;
  draft: WizardDraft;
  initialDraft: WizardDraft;
  existingNames: readonly string[];
  forms: Record<FormId, FormState>;
  /** Host whose Edit/Remove menu is open. */
  hostMenu?: number;
  hostEditor?: HostEditor;
  /** A host editor left with Esc/Back: reopening the same host (or "add") brings back what was typed. */
  parkedHost?: HostEditor;
  /** Continue was pressed on the host list: its problems are shown. */
  hostsSubmitted: boolean;
  reviewScroll: number;
  save: { phase: SavePhase; profile?: Profile; error?: string };
  saved?: { profile: Profile; location: string };
  confirmingCancel: boolean;
  result?: WizardResult;
}

export type HostsChoice = 'add' | 'continue' | 'back' | `host:${number}`;

export type WizardAction =
  | { type: 'move'; delta: 1 | -1 }
  | { type: 'edit'; key: string; value: FieldValue }
  | { type: 'toggle'; delta?: 1 | -1 }
  | { type: 'enter' }
  | { type: 'choose-roles'; roles: Role[] }
  | { type: 'back' }
  | { type: 'interrupt' }
  | { type: 'confirm-cancel'; discard: boolean }
  | { type: 'hosts-choice'; choice: HostsChoice }
  | { type: 'host-menu-choice'; choice: 'edit' | 'remove' | 'back' }
  | { type: 'review-scroll'; delta: number; max: number }
  | { type: 'review-choice'; choice: 'save' | 'back' }
  | { type: 'overwrite-choice'; overwrite: boolean }
  | { type: 'saved'; location: string }
  | { type: 'save-failed'; message: string }
  | { type: 'finish'; deployNow: boolean };

const freshForm = (): FormState => ({ focus: 0, left: [], submitted: false, choosing: false });

export function initialWizardState(initial: ProfileInput | undefined, existingNames: readonly string[]): WizardState {
  const draft = draftFromInput(initial);
  return {
    step: 'hosts',
    draft,
    initialDraft: draft,
    existingNames,
    forms: { host: freshForm(), ssh: freshForm(), versions: freshForm(), network: freshForm(), name: freshForm() },
    hostsSubmitted: false,
    reviewScroll: 0,
    save: { phase: 'name' },
    confirmingCancel: false,
  };
}

/** The form that has the keyboard, if the current screen is a form. */
export function activeForm(s: WizardState): FormId | undefined {
  if (s.confirmingCancel) return undefined;
  if (s.step === 'hosts') return s.hostEditor ? 'host' : undefined;
  if (s.step === 'ssh' || s.step === 'versions' || s.step === 'network') return s.step;
  if (s.step === 'save' && (s.save.phase === 'name' || s.save.phase === 'failed')) return 'name';
  return undefined;
}

export function errorsOf(s: WizardState, form: FormId): FormErrors {
  if (form === 'host') return s.hostEditor ? hostFormErrors(s.draft, s.hostEditor) : { fields: {}, form: [] };
  return formErrors(s.draft, form);
}

/** Whether anything differs from where the wizard started (then cancelling asks first). */
export function isTouched(s: WizardState): boolean {
  return hostEdited(s, s.hostEditor) || hostEdited(s, s.parkedHost) || JSON.stringify(s.draft) !== JSON.stringify(s.initialDraft);
}

/** Whether a host editor holds anything other than what it was opened with. */
function hostEdited(s: WizardState, editor: HostEditor | undefined): boolean {
  if (!editor) return false;
  const origin = editor.slot === 'new' ? newHost(s) : s.draft.hosts[editor.slot];
  return JSON.stringify(editor.host) !== JSON.stringify(origin);
}

export function fieldValue(s: WizardState, form: FormId, key: string): FieldValue {
  const source: Record<string, unknown> =
    form === 'host' ? { ...s.hostEditor?.host } : form === 'name' ? { name: s.draft.name } : { ...s.draft[form] };
  return source[key] as FieldValue;
}

function withField(s: WizardState, form: FormId, key: string, value: FieldValue): WizardState {
  switch (form) {
    case 'host':
      return s.hostEditor ? { ...s, hostEditor: { ...s.hostEditor, host: { ...s.hostEditor.host, [key]: value } } } : s;
    case 'name':
      return { ...s, draft: { ...s.draft, name: String(value) } };
    default:
      return { ...s, draft: { ...s.draft, [form]: { ...s.draft[form], [key]: value } } };
  }
}

function withForm(s: WizardState, form: FormId, patch: Partial<FormState>): WizardState {
  return { ...s, forms: { ...s.forms, [form]: { ...s.forms[form], ...patch } } };
}

const rowCount = (form: FormId) => FORM_FIELDS[form].length + 2;

function leave(f: FormState, key: string | undefined): string[] {
  return key === undefined || f.left.includes(key) ? f.left : [...f.left, key];
}

function moveFocus(s: WizardState, form: FormId, delta: number): WizardState {
  const f = s.forms[form];
  const rows = rowCount(form);
  return withForm(s, form, { focus: (f.focus + delta + rows) % rows, left: leave(f, FORM_FIELDS[form][f.focus]?.key) });
}

function cancel(s: WizardState): WizardState {
  if (isTouched(s)) return { ...s, confirmingCancel: true };
  return { ...s, result: { cancelled: true } };
}

/** A new host: master and worker for the first one; a worker once some host has the master role. */
function newHost(s: WizardState): HostDraft {
  const host = newHostDraft();
  return s.draft.hosts.some((h) => h.roles.includes('master')) ? { ...host, roles: ['worker'] } : host;
}

function openHostEditor(s: WizardState, slot: HostEditor['slot']): WizardState {
  const host = s.parkedHost?.slot === slot ? s.parkedHost.host : slot === 'new' ? newHost(s) : s.draft.hosts[slot];
  if (!host) return s;
  return { ...s, hostMenu: undefined, hostEditor: { slot, host }, forms: { ...s.forms, host: freshForm() } };
}

const PREVIOUS: Partial<Record<StepId, StepId>> = { ssh: 'hosts', versions: 'ssh', network: 'versions', review: 'network', save: 'review' };
const NEXT: Partial<Record<StepId, StepId>> = { ssh: 'versions', versions: 'network', network: 'review' };

/** Moves to a step; a form step is entered with the cursor on its first field, whichever way it is entered. */
function goTo(s: WizardState, step: StepId): WizardState {
  const next = { ...s, step };
  return step === 'ssh' || step === 'versions' || step === 'network' ? withForm(next, step, { focus: 0, choosing: false }) : next;
}

function back(s: WizardState): WizardState {
  if (s.confirmingCancel) return { ...s, confirmingCancel: false };
  const form = activeForm(s);
  if (form && s.forms[form].choosing) return withForm(s, form, { choosing: false });
  switch (s.step) {
    case 'hosts':
      if (s.hostEditor) return { ...s, parkedHost: hostEdited(s, s.hostEditor) ? s.hostEditor : undefined, hostEditor: undefined };
      if (s.hostMenu !== undefined) return { ...s, hostMenu: undefined };
      return cancel(s);
    case 'save':
      if (s.save.phase === 'saving') return s;
      if (s.save.phase === 'confirm-overwrite') return { ...s, save: { phase: 'name' } };
      return { ...s, step: 'review', save: { phase: 'name' } };
    case 'finish':
      return finish(s, false);
    default:
      return goTo(s, PREVIOUS[s.step] ?? s.step);
  }
}

function finish(s: WizardState, deployNow: boolean): WizardState {
  return s.saved ? { ...s, result: { profile: s.saved.profile, deployNow } } : s;
}

/** Continue on a form: blocked (all messages shown, cursor on the first bad field) while anything is wrong. */
function submit(s: WizardState, form: FormId): WizardState {
  const errors = errorsOf(s, form);
  if (hasErrors(errors)) {
    const first = FORM_FIELDS[form].findIndex((f) => errors.fields[f.key] !== undefined);
    return withForm(s, form, { submitted: true, focus: first >= 0 ? first : s.forms[form].focus });
  }
  switch (form) {
    case 'host': {
      const editor = s.hostEditor!;
      const hosts = [...s.draft.hosts];
      if (editor.slot === 'new') hosts.push(editor.host);
      else hosts[editor.slot] = editor.host;
      const parkedHost = s.parkedHost?.slot === editor.slot ? undefined : s.parkedHost;
      return { ...s, draft: { ...s.draft, hosts }, hostEditor: undefined, parkedHost };
    }
    case 'name':
      return s.existingNames.includes(s.draft.name.trim()) ? { ...s, save: { phase: 'confirm-overwrite' } } : startSaving(s);
    default:
      return goTo(s, NEXT[s.step] ?? s.step);
  }
}

function startSaving(s: WizardState): WizardState {
  const result = validateProfile(draftToInput(s.draft));
  if (!result.profile) {
    return { ...s, save: { phase: 'failed', error: `the profile is not valid: ${result.issues.map(formatIssue).join('; ')}` } };
  }
  return { ...s, save: { phase: 'saving', profile: result.profile } };
}

function enter(s: WizardState, form: FormId): WizardState {
  const f = s.forms[form];
  const fields = FORM_FIELDS[form];
  const field = fields[f.focus];
  if (field?.kind === 'roles') return withForm(s, form, { choosing: true });
  if (field) return moveFocus(s, form, 1);
  return f.focus === fields.length ? submit(s, form) : back(s);
}

// eslint-disable-next-line no-control-regex
const stripControl = (v: string) => v.replace(/[\u0000-\u001f\u007f]/g, '');

export function wizardReducer(s: WizardState, a: WizardAction): WizardState {
  if (s.result) return s;
  const form = activeForm(s);
  switch (a.type) {
    case 'move':
      return form && !s.forms[form].choosing ? moveFocus(s, form, a.delta) : s;
    case 'edit': {
      if (!form) return s;
      // Control characters (a pasted line break) never belong in a field.
      const value = typeof a.value === 'string' ? stripControl(a.value) : a.value;
      // kube-up writes hosts as user@address: the user goes to its own field.
      const split = form === 'host' && a.key === 'address' && typeof value === 'string' ? splitUserAtAddress(value) : undefined;
      if (split) return withField(withField(s, 'host', 'user', split.user), 'host', 'address', split.address);
      return withField(s, form, a.key, value);
    }
    case 'toggle': {
      const field = form && FORM_FIELDS[form][s.forms[form].focus];
      if (!form || !field) return s;
      if (field.kind === 'toggle') return withField(s, form, field.key, !fieldValue(s, form, field.key));
      if (field.kind !== 'choice' || !field.options?.length) return s;
      // A choice steps through the schema's values, forward (Space, →) or back (←).
      const i = field.options.indexOf(String(fieldValue(s, form, field.key)));
      const next = (i + (a.delta ?? 1) + field.options.length) % field.options.length;
      return withField(s, form, field.key, field.options[next]!);
    }
    case 'enter':
      return form && !s.forms[form].choosing ? enter(s, form) : s;
    case 'choose-roles': {
      if (form !== 'host') return s;
      const next = withField(s, 'host', 'roles', a.roles);
      return moveFocus(withForm(next, 'host', { choosing: false }), 'host', 1);
    }
    case 'back':
      return back(s);
    case 'interrupt':
      if (s.step === 'finish') return finish(s, false);
      if (s.save.phase === 'saving') return s;
      if (s.confirmingCancel) return { ...s, result: { cancelled: true } };
      return cancel(s);
    case 'confirm-cancel':
      return a.discard ? { ...s, result: { cancelled: true } } : { ...s, confirmingCancel: false };
    case 'hosts-choice':
      if (s.step !== 'hosts') return s;
      if (a.choice === 'add') return openHostEditor(s, 'new');
      if (a.choice === 'back') return cancel(s);
      if (a.choice === 'continue') {
        return hostsListErrors(s.draft).length ? { ...s, hostsSubmitted: true } : goTo({ ...s, hostsSubmitted: false }, 'ssh');
      }
      return { ...s, hostMenu: Number(a.choice.slice('host:'.length)) };
    case 'host-menu-choice': {
      const index = s.hostMenu;
      if (index === undefined) return s;
      if (a.choice === 'edit') return openHostEditor(s, index);
      if (a.choice === 'remove') {
        const hosts = s.draft.hosts.filter((_, i) => i !== index);
        // Parked edits are tied to a position, which has just changed.
        return { ...s, hostMenu: undefined, parkedHost: undefined, draft: { ...s.draft, hosts } };
      }
      return { ...s, hostMenu: undefined };
    }
    case 'review-scroll':
      return { ...s, reviewScroll: Math.max(0, Math.min(a.max, s.reviewScroll + a.delta)) };
    case 'review-choice':
      if (s.step !== 'review') return s;
      if (a.choice === 'back') return back(s);
      if (profileIssues(s.draft).length) return s;
      return { ...s, step: 'save', save: { phase: 'name' }, forms: { ...s.forms, name: freshForm() } };
    case 'overwrite-choice':
      if (s.save.phase !== 'confirm-overwrite') return s;
      return a.overwrite ? startSaving(s) : withForm({ ...s, save: { phase: 'name' } }, 'name', { focus: 0 });
    case 'saved':
      if (s.save.phase !== 'saving' || !s.save.profile) return s;
      return { ...s, step: 'finish', saved: { profile: s.save.profile, location: a.location } };
    case 'save-failed':
      return s.save.phase === 'saving' ? { ...s, save: { phase: 'failed', error: a.message } } : s;
    case 'finish':
      return s.step === 'finish' ? finish(s, a.deployNow) : s;
  }
}

export function useWizardState(initial: ProfileInput | undefined, existingNames: readonly string[]) {
  return useReducer(wizardReducer, undefined, () => initialWizardState(initial, existingNames));
}
