// Colours and glyphs of the run view. NO_COLOR (https://no-color.org) drops the colours and keeps bold and dim, so a
// failed pane is still told apart by its glyph and its bold "FAILED" line.
import type { TaskState } from '../../src/tasks/run-store.js';

type Style = { color?: string; bold?: boolean; dimColor?: boolean };

export function makeRunTheme(env: NodeJS.ProcessEnv = process.env) {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  const c = (color: string, rest: Omit<Style, 'color'> = {}): Style => (noColor ? rest : { color, ...rest });
  return {
    noColor,
    title: c('cyan', { bold: true }),
    state: {
      waiting: { dimColor: true },
      running: c('cyan', { bold: true }),
      done: c('green'),
      failed: c('red', { bold: true }),
      skipped: { dimColor: true },
    } satisfies Record<TaskState, Style>,
    border: { normal: c('gray'), focused: c('cyan'), failed: c('red') },
    focused: c('cyan', { bold: true }),
    label: { bold: true },
    dim: { dimColor: true },
    error: c('red'),
    stderr: c('yellow'),
    warning: c('yellow'),
    success: c('green', { bold: true }),
    barDone: c('green'),
    barTodo: { dimColor: true },
    help: { dimColor: true },
  };
}

export type RunTheme = ReturnType<typeof makeRunTheme>;

export const runGlyphs = {
  state: { waiting: '·', running: '▸', done: '✓', failed: '✗', skipped: '-' } satisfies Record<TaskState, string>,
  pointer: '›',
  barDone: '█',
  barTodo: '░',
  upload: '↑',
  download: '↓',
} as const;
