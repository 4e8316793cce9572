/** Kubernetes timestamp formats: metav1.Time (seconds) and metav1.MicroTime (microseconds), both UTC with Z. */
export function metaTime(d = new Date()): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

export function microTime(d = new Date()): string {
  return `${d.toISOString().slice(0, 23)}000Z`;
}

/** Promise-based delay for polling loops inside daemons (never used as a test assertion). */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    // The listener goes when the timer fires, or long-running daemons pile them up on one signal.
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
