// The setup wizard's public entry: runWizard mounts it with Ink, resolves with the result, and unmounts.
import React from 'react';
import { render } from 'ink';
import { NeedsTerminalError } from '../../src/errors.js';
import type { ProfileInput } from '../../src/profile/schema.js';
import type { Profile } from '../../src/profile/types.js';
import type { WizardResult } from './result.js';
import { WizardApp } from './WizardApp.js';

export type { WizardResult } from './result.js';

export interface WizardOptions {
  /** A saved profile to edit. */
  initial?: ProfileInput;
  /** Names already in the store: choosing one asks before overwriting it. */
  existingNames: string[];
  /** Persists the profile; returns where it was saved (a path), shown to the user. */
  save(profile: Profile): Promise<string>;
  /** Warnings for the review step that do not block saving (e.g. release files kubeup cannot verify). */
  reviewWarnings?: (profile: Profile) => string[];
  /** Text for "deploy now" until the deploy engine exists (printed by the CLI after the wizard). */
  describePlan?(profile: Profile): string;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
}

export async function runWizard(opts: WizardOptions): Promise<WizardResult> {
  const stdin = opts.stdin ?? process.stdin;
  const stdout = opts.stdout ?? process.stdout;
  if (stdin.isTTY !== true) {
    throw new NeedsTerminalError('the setup wizard needs a terminal, but standard input is not one', {
      hint: 'run kubeup in a terminal, or deploy a saved profile without questions: kubeup up --profile NAME --yes',
    });
  }
  let result: WizardResult = { cancelled: true };
  const app = render(
    <WizardApp
      initial={opts.initial}
      existingNames={opts.existingNames}
      save={opts.save}
      {...(opts.reviewWarnings && { reviewWarnings: opts.reviewWarnings })}
      onResult={(r) => {
        result = r;
      }}
    />,
    { stdin, stdout, exitOnCtrlC: false, patchConsole: false },
  );
  await app.waitUntilExit();
  app.cleanup();
  return result;
}
