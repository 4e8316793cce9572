// The listr2 options every run shares: which renderer draws it, and the fallback to plain lines without a terminal.
import type { RunOptions } from './context.js';
import { PlainRenderer } from './plain-renderer.js';

export function rendererOptions(renderer: RunOptions['renderer'], extra: Record<string, unknown> = {}) {
  if (typeof renderer === 'object') {
    return { renderer: renderer.factory as never, rendererOptions: { ...extra, ...renderer.options } as never };
  }
  // 'simple' means kubeup's plain lines, each host's prefixed with the host.
  const chosen = renderer === 'simple' ? PlainRenderer : renderer;
  return {
    renderer: chosen as never,
    fallbackRenderer: PlainRenderer as never,
    // Plain lines whenever the output is not a terminal, or under CI: no escape codes in logs.
    fallbackRendererCondition: () => renderer !== 'default' || !process.stdout.isTTY || !!process.env.CI,
    rendererOptions: extra as never,
  };
}
