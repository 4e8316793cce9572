/**
 * The command-line life cycle every Kubernetes-style stand-in shares, following component-base/cli.Run:
 * flag errors print cobra's usage and `Error: <msg>` (exit 1); `--version` prints `Kubernetes vX.Y.Z`; `--help`
 * prints usage; errors after start-up are logged by klog as `"command failed" err="..."` (exit 1); SIGTERM and
 * SIGINT stop the daemon cleanly.
 */
import { buildInfo, type StandinBuildInfo } from './build-info.js';
import { StandinExit } from './errors.js';
import { FlagError, flagSpecFromReference, parseFlags, type FlagSpec, type ParsedFlags, type SpecOptions } from './flags.js';
import { klog, setVerbosity } from './klog.js';

export interface Running {
  close(): Promise<void>;
}

export interface StandinProgram {
  readonly specOptions?: SpecOptions;
  /** One paragraph printed above the flag list, like the real command's Long text. */
  readonly description: string;
  /** Text printed for --version (default `Kubernetes <version>`). */
  readonly versionText?: (info: StandinBuildInfo) => string;
  readonly main: (flags: ParsedFlags, info: StandinBuildInfo) => Promise<Running>;
}

export function usageText(spec: FlagSpec, description: string): string {
  const lines = Object.keys(spec.flags)
    .sort()
    .map((name) => {
      const def = spec.flags[name];
      const short = Object.entries(spec.shorthands).find(([, long]) => long === name)?.[0];
      const type = def && def.type !== 'bool' && def.type !== 'version' ? ` ${def.type}` : '';
      return `  ${short ? `-${short}, ` : '    '}--${name}${type}`;
    });
  return `${description}\n\nUsage:\n  ${spec.component} [flags]\n\nFlags:\n${lines.join('\n')}\n`;
}

const log = klog('run.go:72');

/** Parses flags, then runs the daemon until a signal; never returns normally. */
export function runStandin(program: StandinProgram, argv: readonly string[] = process.argv.slice(2)): void {
  const info = buildInfo();
  if (!info.flags) throw new Error(`${info.name}: no flag list was bundled; runStandin needs one`);
  const spec = flagSpecFromReference(info.flags, program.specOptions);
  let flags: ParsedFlags;
  try {
    flags = parseFlags(argv, spec, info.name);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`${usageText(spec, program.description)}\nError: ${err.message}\n`);
    process.exit(1);
  }
  for (const w of flags.warnings) process.stderr.write(`${w}\n`);
  if (flags.help) {
    process.stdout.write(usageText(spec, program.description));
    process.exit(0);
  }
  if (flags.version !== undefined) {
    process.stdout.write(`${program.versionText ? program.versionText(info) : `Kubernetes ${info.version}`}\n`);
    process.exit(0);
  }
  if (spec.flags.v) setVerbosity(flags.int('v', 0));

  const fail = (err: unknown): never => {
    if (err instanceof StandinExit && err.style === 'cobra') process.stderr.write(`Error: ${err.message}\n`);
    else if (err instanceof StandinExit && err.style === 'plain') process.stderr.write(`${err.message}\n`);
    else log.error('command failed', { err: err instanceof Error ? err.message : String(err) });
    process.exit(err instanceof StandinExit ? err.exitCode : 1);
  };

  program.main(flags, info).then((running) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      running.close().then(() => process.exit(0), fail);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  }, fail);
}
