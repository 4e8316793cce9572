// Keys -> wizard actions. Text editing belongs to TextField and list choices to ink-select-input; this hook
// handles what moves between rows and steps, so that no key is handled twice.
import { useInput, useStdin } from 'ink';
import type { Dispatch } from 'react';
import { activeForm, type WizardAction, type WizardState } from './use-wizard-state.js';

export interface ReviewViewport {
  /** Lines of YAML visible at once. */
  height: number;
  /** Largest useful scroll offset. */
  maxScroll: number;
}

export function useWizardInput(state: WizardState, dispatch: Dispatch<WizardAction>, review: ReviewViewport): void {
  // Without raw mode (stdin not a terminal) useInput would throw; runWizard refuses to start in that case anyway.
  const { isRawModeSupported } = useStdin();
  useInput(
    (input, key) => {
      if (key.ctrl && input === 'c') return dispatch({ type: 'interrupt' });
      if (key.escape) return dispatch({ type: 'back' });
      if (state.step === 'review' && !state.confirmingCancel) {
        if (key.pageDown) return dispatch({ type: 'review-scroll', delta: review.height, max: review.maxScroll });
        if (key.pageUp) return dispatch({ type: 'review-scroll', delta: -review.height, max: review.maxScroll });
        return;
      }
      const form = activeForm(state);
      if (!form || state.forms[form].choosing) return;
      if (key.upArrow || (key.shift && key.tab)) return dispatch({ type: 'move', delta: -1 });
      if (key.downArrow || key.tab) return dispatch({ type: 'move', delta: 1 });
      if (key.return) return dispatch({ type: 'enter' });
      // Enter pressed faster than the screen redraws arrives as one chunk ("\r\r"), which Ink does not split.
      if (/^\r+$/.test(input)) {
        for (let i = 0; i < input.length; i++) dispatch({ type: 'enter' });
        return;
      }
      // The reducer changes only a toggle or a choice: on a text field these keys belong to the text input.
      if (key.leftArrow) return dispatch({ type: 'toggle', delta: -1 });
      if (input === ' ' || key.rightArrow) return dispatch({ type: 'toggle', delta: 1 });
    },
    { isActive: isRawModeSupported === true },
  );
}
