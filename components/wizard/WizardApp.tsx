// Wires the wizard: state (reducer), keys (input hook), the save callback, and the end of the wizard.
// The only effect is calling the caller's save(); the wizard itself never touches files or hosts.
import React, { useEffect, useMemo } from 'react';
import { useApp, useStdout } from 'ink';
import { KubeupError } from '../../src/errors.js';
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
}

/** Terminal rows the review step keeps for everything but the YAML (step bar, border, status, choices). */
const REVIEW_CHROME = 11;
const DEFAULT_ROWS = 24;

export function WizardApp(props: WizardAppProps) {
  const [state, dispatch] = useWizardState(props.initial, props.existingNames);
  const { exit } = useApp();
  const { stdout } = useStdout();
  const rows = stdout.rows || DEFAULT_ROWS;

  const onReview = state.step === 'review';
  const lines = useMemo(() => (onReview ? profileYaml(state.draft).trimEnd().split('\n') : []), [onReview, state.draft]);
  const issueCount = useMemo(() => (onReview ? profileIssues(state.draft).length : 0), [onReview, state.draft]);
  const height = Math.max(3, rows - REVIEW_CHROME - issueCount);
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

  return <Wizard state={state} review={{ lines, height }} dispatch={dispatch} />;
}

function describeError(error: unknown): string {
  if (error instanceof KubeupError) return error.describe();
  return error instanceof Error ? error.message : String(error);
}
