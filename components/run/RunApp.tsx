// Wires the run view: reads the one store (useSyncExternalStore), follows the terminal's size, ticks a clock for
// elapsed times while the run goes on, maps keys to store actions, and tells the caller once the user confirmed a
// cancel. No I/O here: the engine and the renderer feed the store.
import React, { useEffect, useState, useSyncExternalStore } from 'react';
import { useStdin, useStdout } from 'ink';
import type { RunStore } from '../../src/tasks/run-store.js';
import { RunView } from './RunView.js';
import { makeRunTheme, type RunTheme } from './theme.js';
import { useRunInput } from './use-run-input.js';

const DEFAULT_COLUMNS = 80;
const DEFAULT_ROWS = 24;
const TICK_MS = 1000;

export interface RunAppProps {
  readonly store: RunStore;
  /** Called once when the user confirmed cancelling. */
  onCancel(): void;
  readonly clock?: () => number;
  /** Fixed size (tests); otherwise the terminal's, followed on resize. */
  readonly columns?: number;
  readonly rows?: number;
  readonly theme?: RunTheme;
}

function measure(stdout: NodeJS.WriteStream, fixedColumns?: number, fixedRows?: number) {
  return { columns: fixedColumns ?? (stdout.columns || DEFAULT_COLUMNS), rows: fixedRows ?? (stdout.rows || DEFAULT_ROWS) };
}

function useTerminalSize(fixedColumns?: number, fixedRows?: number): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => measure(stdout, fixedColumns, fixedRows));
  useEffect(() => {
    const onResize = () => setSize(measure(stdout, fixedColumns, fixedRows));
    onResize();
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, fixedColumns, fixedRows]);
  return size;
}

function useClock(clock: () => number, running: boolean): number {
  const [now, setNow] = useState(clock);
  useEffect(() => {
    if (!running) return;
    setNow(clock());
    const timer = setInterval(() => setNow(clock()), TICK_MS);
    return () => clearInterval(timer);
  }, [clock, running]);
  return now;
}

export function RunApp({ store, onCancel, clock = Date.now, columns, rows, theme }: RunAppProps) {
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const size = useTerminalSize(columns, rows);
  const now = useClock(clock, !state.finished);
  const { isRawModeSupported } = useStdin();
  useRunInput(state, store.dispatch, isRawModeSupported === true);
  const [themeInUse] = useState(() => theme ?? makeRunTheme());

  const { cancelRequested } = state;
  useEffect(() => {
    if (cancelRequested) onCancel();
  }, [cancelRequested, onCancel]);

  return <RunView state={state} now={now} columns={size.columns} rows={size.rows} theme={themeInUse} />;
}
