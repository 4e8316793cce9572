// Keys of the run view mapped to store actions: focus (↑/↓, Tab, Shift-Tab), a host's log (Enter, Esc back), and
// cancelling (q or Ctrl-C, then y to confirm). Listens only while `isActive`.
import { useInput, type Key } from 'ink';
import type { RunEvent, RunState } from '../../src/tasks/run-store.js';

export function actionForKey(state: RunState, input: string, key: Key): RunEvent | undefined {
  if (state.finished) return undefined;
  if (state.confirmingCancel) return { type: 'answer-cancel', yes: input === 'y' || input === 'Y' };
  if (input === 'q' || (key.ctrl && input === 'c')) return { type: 'ask-cancel' };
  if (key.upArrow || (key.tab && key.shift)) return { type: 'focus', delta: -1 };
  if (key.downArrow || key.tab) return { type: 'focus', delta: 1 };
  if (key.return || (key.escape && state.expanded)) return { type: 'toggle-expand' };
  return undefined;
}

export function useRunInput(state: RunState, dispatch: (e: RunEvent) => void, isActive: boolean): void {
  useInput(
    (input, key) => {
      const action = actionForKey(state, input, key);
      if (action) dispatch(action);
    },
    { isActive },
  );
}
