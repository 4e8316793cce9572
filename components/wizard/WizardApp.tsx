// Wires the wizard: state (reducer), keys (input hook), the save callback, and the end of the wizard.
// The only effect is calling the caller's save(); the wizard itself never touches files or hosts.
import React, { useEffect, useMemo } from 'react';
import { useApp, useStdout } from 'ink';
import { formatIssue, KubeupError } from '../../src/errors.js';
import type { ProfileInput } from '../../src/profile/schema.js';
import type { Profile } from '../../src/profile/types.js';
import { profileIssues } from './fields.js';
import { profileYaml } from './profile-yaml.js';
import type { WizardResult } from './result.js';
import { useWizardInput } from './use-wizard-input.js';
import { useWizardState } from './use-wizard-state.js';
import { Wizard } from './Wizard.js';

export interface WizardAppProps {
  readonly initial?: ProfileInput;
  readonly existingNames: readonly string[];
  save(profile: Profile): Promise<string>;
  onResult(result: WizardResult): void;
  reviewWarnings?: (profile: Profile) => string[];
}

/** Terminal rows the review step keeps for everything but the YAML (step bar, border, status, choices). */
const REVIEW_CHROME = 13;
/** Terminal rows the host list keeps for the step bar, texts and help. */
const LIST_CHROME = 9;
const DEFAULT_ROWS = 24;
const DEFAULT_COLUMNS = 80;

export function WizardApp(props: WizardAppProps) {
  const [state, dispatch] = useWizardState(props.initial, props.existingNames);
  const { exit } = useApp();
  const { stdout } = useStdout();
  const rows = stdout.rows || DEFAULT_ROWS;

  const onReview = state.step === 'review';
  const lines = useMemo(() => (onReview ? profileYaml(state.draft).trimEnd().split('\n') : []), [onReview, state.draft]);
  const columns = stdout.columns || DEFAULT_COLUMNS;
  // Each problem takes as many lines as it wraps to.
  const issueLines = useMemo(
    () => (onReview ? profileIssues(state.draft).reduce((n, i) => n + Math.ceil((formatIssue(i).length + 2) / columns), 0) : 0),
    [onReview, state.draft, columns],
  );
  const height = Math.max(3, rows - REVIEW_CHROME - issueLines);
  useWizardInput(state, dispatch, { height, maxScroll: Math.max(0, lines.length - height) });

  const { phase, profile } = state.save;
  const { save } = props;
  useEffect(() => {
    if (phase !== 'saving' || !profile) return;
    save(profile).then(
      (location) => dispatch({ type: 'saved', location }),
      (error: unknown) => dispatch({ type: 'save-failed', message: describeError(error) }),
    );
  }, [phase, profile, save, dispatch]);

  const { result } = state;
  const { onResult } = props;
  useEffect(() => {
    if (!result) return;
    onResult(result);
    exit();
  }, [result, onResult, exit]);

  return (
    <Wizard
      state={state}
      review={{ lines, height }}
      listHeight={Math.max(5, rows - LIST_CHROME)}
      dispatch={dispatch}
      {...(props.reviewWarnings && { reviewWarnings: props.reviewWarnings })}
    />
  );
}

function describeError(error: unknown): string {
  if (error instanceof KubeupError) return error.describe();
  return error instanceof Error ? error.message : String(error);
}
