// Colours and glyphs for every component. Components never spell a colour inline, so a change of look happens here.
// Colours go through chalk (via Ink), which drops them when NO_COLOR is set or the terminal has none.
export const theme = {
  title: { color: 'cyan', bold: true },
  stepDone: { color: 'green' },
  stepCurrent: { color: 'cyan', bold: true },
  stepTodo: { dimColor: true },
  label: { bold: true },
  focused: { color: 'cyan' },
  value: {},
  placeholder: { dimColor: true },
  error: { color: 'red' },
  warning: { color: 'yellow' },
  success: { color: 'green' },
  help: { dimColor: true },
} as const;

export const glyphs = {
  pointer: '›',
  error: '✗',
  ok: '✓',
  on: '[x]',
  off: '[ ]',
  separator: ' › ',
} as const;
