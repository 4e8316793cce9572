// The listr2 options every run shares: which renderer draws it, and the fallback to plain lines without a terminal.
import type { RunOptions } from './context.js';

export function rendererOptions(renderer: RunOptions['renderer'], extra: Record<string, unknown> = {}) {
  if (typeof renderer === 'object') {
    return { renderer: renderer.factory as never, rendererOptions: { ...extra, ...renderer.options } as never };
  }
  return {
    renderer: renderer as never,
    fallbackRenderer: 'simple' as never,
    // Plain lines whenever the output is not a terminal, or under CI: no escape codes in logs.
    fallbackRendererCondition: () => renderer !== 'default' || !process.stdout.isTTY || !!process.env.CI,
    rendererOptions: extra as never,
  };
}
