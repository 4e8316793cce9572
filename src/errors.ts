// Typed errors: each says what went wrong, where (host, field, file) and what to do.
// Only src/cli.ts catches at the top and maps a class to an exit code.

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  profile: 3,
  preflight: 4,
  deploy: 5,
  validation: 6,
  cancelled: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface KubeupErrorOptions {
  host?: string;
  field?: string;
  file?: string;
  hint?: string;
  cause?: unknown;
}

export class KubeupError extends Error {
  readonly exitCode: ExitCode = EXIT.internal;
  readonly host?: string;
  readonly field?: string;
  readonly file?: string;
  readonly hint?: string;

  constructor(message: string, opts: KubeupErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.host = opts.host;
    this.field = opts.field;
    this.file = opts.file;
    this.hint = opts.hint;
  }

  /** One or more lines for a terminal: the message with its location, then the hint. */
  describe(): string {
    const where = [this.host && `host ${this.host}`, this.file && `file ${this.file}`, this.field && `field ${this.field}`]
      .filter(Boolean)
      .join(', ');
    const head = where ? `${this.message} (${where})` : this.message;
    return this.hint ? `${head}\n  hint: ${this.hint}` : head;
  }
}

/** Wrong command-line usage. */
export class UsageError extends KubeupError {
  override readonly exitCode = EXIT.usage;
}

export interface ProfileIssue {
  /** Dot/bracket path of the field, e.g. `hosts[2].address`. Empty for the profile as a whole. */
  path: string;
  message: string;
  hint?: string;
}

export function formatIssue(issue: ProfileIssue): string {
  const at = issue.path ? `${issue.path}: ` : '';
  return issue.hint ? `${at}${issue.message} (${issue.hint})` : `${at}${issue.message}`;
}

/** A profile that does not validate, or a profile store/file that cannot be read. */
export class ProfileError extends KubeupError {
  override readonly exitCode = EXIT.profile;
  readonly issues: ProfileIssue[];

  constructor(message: string, issues: ProfileIssue[] = [], opts: KubeupErrorOptions = {}) {
    super(message, opts);
    this.issues = issues;
  }

  override describe(): string {
    const lines = [super.describe(), ...this.issues.map((i) => `  - ${formatIssue(i)}`)];
    return lines.join('\n');
  }
}

/** No terminal for something that needs one (the wizard, a question). */
export class NeedsTerminalError extends KubeupError {
  override readonly exitCode = EXIT.usage;
}

export class ConnectError extends KubeupError {
  override readonly exitCode = EXIT.preflight;
}

export class PreflightError extends KubeupError {
  override readonly exitCode = EXIT.preflight;
  readonly problems: { host: string; check: string; message: string; hint?: string }[];

  constructor(problems: PreflightError['problems']) {
    super(`preflight found ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
    this.problems = problems;
  }

  override describe(): string {
    return [
      this.message,
      ...this.problems.map((p) => `  - ${p.host}: ${p.check}: ${p.message}${p.hint ? `\n      hint: ${p.hint}` : ''}`),
    ].join('\n');
  }
}

export class RemoteCommandError extends KubeupError {
  override readonly exitCode = EXIT.deploy;
  readonly argv: readonly string[];
  readonly code: number | null;
  readonly stderr: string;

  constructor(host: string, argv: readonly string[], code: number | null, stderr: string, hint?: string) {
    const last = stderr.trim().split('\n').slice(-3).join(' | ');
    super(`command failed with exit ${code ?? 'signal'}: ${argv.join(' ')}${last ? `: ${last}` : ''}`, { host, hint });
    this.argv = argv;
    this.code = code;
    this.stderr = stderr;
  }
}

export class DownloadError extends KubeupError {
  override readonly exitCode = EXIT.deploy;
}

export class DeployError extends KubeupError {
  override readonly exitCode = EXIT.deploy;
}

export class VerifyError extends KubeupError {
  override readonly exitCode = EXIT.deploy;
}

export class ValidationError extends KubeupError {
  override readonly exitCode = EXIT.validation;
}

export class CancelledError extends KubeupError {
  override readonly exitCode = EXIT.cancelled;
}

/** A bug in kubeup: printed with its stack and a request to report it. */
export class InternalError extends KubeupError {
  override readonly exitCode = EXIT.internal;
}
