/**
 * A stand-in refusing to start or to go on: the message is printed the way the real binary prints it, then the
 * process exits with `exitCode` (1 for flag and configuration errors, like the real daemons).
 */
export class StandinExit extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    /** How the real binary prints it: cobra's `Error: ...` line, or klog's `"command failed" err="..."` line. */
    readonly style: 'cobra' | 'klog' | 'plain' = 'klog',
  ) {
    super(message);
    this.name = 'StandinExit';
  }
}

/** Several validation errors printed as one, like k8s.io/apimachinery's utilerrors.NewAggregate. */
export function aggregate(messages: readonly string[]): string {
  return messages.length === 1 ? (messages[0] ?? '') : `[${messages.join(', ')}]`;
}

/** Go's `%q` for the strings we quote in messages. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}
