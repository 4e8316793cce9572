// The wizard's screen for a given state: step bar, then the current step. Render only: everything it shows comes
// from props, every key it gets from a list goes back through `dispatch`.
import React, { type Dispatch } from 'react';
import { Box, Text } from 'ink';
import { glyphs, theme } from '../theme.js';
import { draftProfile, ELSEWHERE_NOTES, FORM_FIELDS, hostsListErrors, profileIssues, screenIssue, type FieldValue, type FormId } from './fields.js';
import type { Profile } from '../../src/profile/types.js';
import { FormView } from './FormView.js';
import { HostMenu, HostsList } from './HostsView.js';
import { ReviewView } from './ReviewView.js';
import { draftToInput } from './draft.js';
import { validateProfile } from '../../src/profile/validate.js';
import { sshConfigNotes } from '../../src/tasks/ssh-targets.js';
import { kubeupCommand } from '../../src/invocation.js';
import { ConfirmCancel, DeployChoice, OverwriteQuestion, Saving } from './SaveView.js';
import { errorsOf, fieldValue, STEPS, type StepId, type WizardAction, type WizardState } from './use-wizard-state.js';

/** The SSH config's contribution to a draft that validates (none for one that does not yet). */
function reviewSshNotes(state: WizardState): string[] {
  // The name is asked only at the save step: any valid one will do here.
  const result = validateProfile({ ...draftToInput(state.draft), name: 'review' });
  return result.profile ? sshConfigNotes(result.profile) : [];
}

const STEP_TITLES: Record<StepId, string> = {
  hosts: 'Hosts',
  ssh: 'SSH access',
  versions: 'Versions',
  network: 'Network',
  review: 'Review',
  save: 'Save',
  finish: 'Deploy',
};

const STEP_INTRO: Record<StepId, string> = {
  hosts: 'Which machines make up the cluster, how to reach them, and what each one runs.',
  ssh: 'How kubeup logs in. Passwords are asked for at run time and never stored.',
  versions: 'Exact releases to install. The defaults are tested together.',
  network: 'Address ranges inside the cluster. They must not contain any host address.',
  review: 'The profile as its file will look.',
  save: 'Save the profile under a name.',
  finish: '',
};

export interface WizardProps {
  readonly state: WizardState;
  /** YAML of the review step, one entry per line, and how many lines fit. */
  readonly review: { lines: readonly string[]; height: number };
  /** Rows the host list may take before it scrolls. */
  readonly listHeight: number;
  readonly dispatch: Dispatch<WizardAction>;
  /** Warnings for the review that do not block saving (the CLI passes the release checks: unverifiable files). */
  readonly reviewWarnings?: (profile: Profile) => string[];
}

function StepBar({ step }: { step: StepId }) {
  const current = STEPS.indexOf(step);
  return (
    <Box>
      <Text {...theme.title}>kubeup setup  </Text>
      {STEPS.map((s, i) => (
        <Text key={s} {...(i < current ? theme.stepDone : i === current ? theme.stepCurrent : theme.stepTodo)}>
          {i > 0 ? glyphs.separator : ''}
          {STEP_TITLES[s]}
        </Text>
      ))}
    </Box>
  );
}

function Form({ state, form, dispatch, continueLabel, backLabel }: { state: WizardState; form: FormId; dispatch: Dispatch<WizardAction>; continueLabel: string; backLabel: string }) {
  const f = state.forms[form];
  const errors = errorsOf(state, form);
  const shown = Object.fromEntries(Object.entries(errors.fields).filter(([key]) => f.submitted || f.left.includes(key)));
  const values: Record<string, FieldValue> = Object.fromEntries(FORM_FIELDS[form].map((d) => [d.key, fieldValue(state, form, d.key)]));
  return (
    <FormView
      fields={FORM_FIELDS[form]}
      values={values}
      errors={shown}
      formIssues={errors.form}
      focus={f.focus}
      choosing={f.choosing}
      isActive={!state.confirmingCancel}
      continueLabel={continueLabel}
      backLabel={backLabel}
      onEdit={(key, value) => dispatch({ type: 'edit', key, value })}
      onChooseRoles={(roles) => dispatch({ type: 'choose-roles', roles })}
    />
  );
}

function Body({ state, review, listHeight, dispatch, reviewWarnings }: WizardProps) {
  const active = !state.confirmingCancel;
  switch (state.step) {
    case 'hosts':
      if (state.hostEditor) {
        const title = state.hostEditor.slot === 'new' ? 'New host' : `Host ${state.hostEditor.slot + 1}`;
        return (
          <Box flexDirection="column">
            <Text {...theme.label}>{title}</Text>
            <Form state={state} form="host" dispatch={dispatch} continueLabel="Save host" backLabel="Back to the host list" />
          </Box>
        );
      }
      if (state.hostMenu !== undefined) {
        const host = state.draft.hosts[state.hostMenu];
        if (host) return <HostMenu host={host} isActive={active} onChoose={(choice) => dispatch({ type: 'host-menu-choice', choice })} />;
      }
      return (
        <HostsList
          hosts={state.draft.hosts}
          parked={state.parkedHost && (state.parkedHost.host.address.trim() || 'no address yet')}
          height={listHeight}
          issues={state.hostsSubmitted ? hostsListErrors(state.draft) : []}
          isActive={active}
          onChoose={(choice) => dispatch({ type: 'hosts-choice', choice })}
        />
      );
    case 'ssh':
    case 'versions':
    case 'network':
      return <Form state={state} form={state.step} dispatch={dispatch} continueLabel="Continue" backLabel="Back" />;
    case 'review':
      return (
        <ReviewView
          yamlLines={review.lines}
          scroll={state.reviewScroll}
          height={review.height}
          issues={profileIssues(state.draft).map(screenIssue)}
          warnings={reviewWarningsOf(state, reviewWarnings)}
          elsewhere={ELSEWHERE_NOTES}
          sshConfigNotes={reviewSshNotes(state)}
          isActive={active}
          onChoose={(choice) => dispatch({ type: 'review-choice', choice })}
        />
      );
    case 'save':
      if (state.save.phase === 'confirm-overwrite') {
        return <OverwriteQuestion name={state.draft.name.trim()} isActive={active} onChoose={(overwrite) => dispatch({ type: 'overwrite-choice', overwrite })} />;
      }
      if (state.save.phase === 'saving') return <Saving name={state.draft.name.trim()} />;
      return (
        <Box flexDirection="column">
          {state.existingNames.length > 0 && <Text {...theme.help}>Saved profiles: {[...state.existingNames].sort().join(', ')}</Text>}
          {state.save.phase === 'failed' && (
            <Text {...theme.error}>
              {glyphs.error} could not save: {state.save.error}
            </Text>
          )}
          <Form state={state} form="name" dispatch={dispatch} continueLabel="Save" backLabel="Back to the review" />
        </Box>
      );
    case 'finish':
      return state.saved ? (
        <DeployChoice name={state.saved.profile.name} location={state.saved.location} isActive={active} onChoose={(deployNow) => dispatch({ type: 'finish', deployNow })} />
      ) : null;
  }
}

function reviewWarningsOf(state: WizardState, warn: WizardProps['reviewWarnings']): string[] {
  const profile = warn && draftProfile(state.draft);
  return profile ? warn(profile) : [];
}

/** What stays on the terminal after the wizard has closed. */
function Farewell({ state }: { state: WizardState }) {
  const r = state.result;
  if (!r) return null;
  if ('cancelled' in r) return <Text>Setup cancelled; nothing was saved.</Text>;
  return (
    <Text {...theme.success}>
      {glyphs.ok} Profile {r.profile.name} saved to {state.saved?.location}
      {r.deployNow ? '' : `; deploy it later with: ${kubeupCommand()} up --profile ${r.profile.name}`}
    </Text>
  );
}

export function Wizard(props: WizardProps) {
  const { state } = props;
  if (state.result) return <Farewell state={state} />;
  return (
    <Box flexDirection="column">
      <StepBar step={state.step} />
      {STEP_INTRO[state.step] !== '' && <Text {...theme.help}>{STEP_INTRO[state.step]}</Text>}
      <Box marginTop={1} flexDirection="column">
        {state.confirmingCancel ? (
          <ConfirmCancel isActive onChoose={(discard) => props.dispatch({ type: 'confirm-cancel', discard })} />
        ) : (
          <Body {...props} />
        )}
      </Box>
    </Box>
  );
}
