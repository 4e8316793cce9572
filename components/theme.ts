// Colours and glyphs for every component. Components never spell a colour inline, so a change of look happens here.
// NO_COLOR (https://no-color.org) drops the colours but keeps bold, dim and inverse: Ink's chalk does not read it.
type Style = { color?: string; bold?: boolean; dimColor?: boolean };

export function makeTheme(env: NodeJS.ProcessEnv = process.env) {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  const c = (color: string, rest: Omit<Style, 'color'> = {}): Style => (noColor ? rest : { color, ...rest });
  return {
    title: c('cyan', { bold: true }),
    stepDone: c('green'),
    stepCurrent: c('cyan', { bold: true }),
    stepTodo: { dimColor: true },
    label: { bold: true },
    /** The row with the cursor; without colour it stays bold, so it can still be told apart. */
    focused: c('cyan', { bold: noColor }),
    placeholder: { dimColor: true },
    error: c('red'),
    warning: c('yellow'),
    success: c('green'),
    help: { dimColor: true },
  } satisfies Record<string, Style>;
}

export const theme = makeTheme();

export const glyphs = {
  pointer: '›',
  error: '✗',
  ok: '✓',
  on: '[x]',
  off: '[ ]',
  separator: ' › ',
} as const;
