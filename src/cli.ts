#!/usr/bin/env node
// Entry point. Parses argv first and imports the UI (Ink, React) lazily, only when the wizard or the live view is
// needed, so `kubeup --help` and headless runs start fast. The one top-level catch maps error classes to exit codes.
import { parseArgs } from 'node:util';
import { EXIT, KubeupError, UsageError } from './errors.js';
import { processIo, type CliIo } from './cli/io.js';
import { HELP, VERSION } from './cli/help.js';
import { profilesCommand } from './cli/profiles.js';
import { ProfileStore } from './profile/store.js';

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  profile: { type: 'string', short: 'p' },
  file: { type: 'string', short: 'f' },
  name: { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  force: { type: 'boolean' },
  'env-file': { type: 'string' },
  'upgrade-versions': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  out: { type: 'string' },
  concurrency: { type: 'string' },
  'accept-new-host-keys': { type: 'boolean' },
  'force-unlock': { type: 'boolean' },
  purge: { type: 'boolean' },
  plain: { type: 'boolean' },
  arch: { type: 'string' },
  offline: { type: 'boolean' },
  'grace-period': { type: 'string' },
  timeout: { type: 'string' },
  to: { type: 'string' },
  'max-unavailable': { type: 'string' },
  only: { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parse>['values'];

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^TypeError[^:]*: /, ''), { hint: 'see `kubeup --help`' });
  }
}

async function openWizard(store: ProfileStore, io: CliIo, initial?: unknown): Promise<number> {
  if (!io.isTTY) {
    io.err('kubeup: the setup wizard needs a terminal, and this is not one.');
    io.err('To deploy without a terminal, run a saved profile headless:  kubeup up --profile NAME --yes');
    io.err('or a profile file:                                          kubeup up --file profile.yaml --yes');
    io.err('Saved profiles: kubeup profiles list');
    return EXIT.usage;
  }
  const { runWizard } = await import('../components/wizard/index.js');
  const { unverifiableWarning } = await import('./release/unpinned.js');
  const result = await runWizard({
    reviewWarnings: (profile) => {
      const w = unverifiableWarning(profile);
      return w ? [w.trimEnd()] : [];
    },
    ...(initial !== undefined && { initial: initial as never }),
    existingNames: store.names(),
    save: async (profile) => store.save(profile),
  });
  // The wizard's last screen already says "Setup cancelled; nothing was saved.": one message, the cancel exit code.
  if ('cancelled' in result) return EXIT.cancelled;
  if (result.deployNow) {
    // Exactly `kubeup up --profile NAME --yes` on the profile just saved: the run view in this terminal.
    const { deployCommand } = await import('./cli/deploy.js');
    return deployCommand('up', [], { profile: result.profile.name, yes: true } as Values, store, io);
  }
  // The wizard's last screen already says where it was saved and how to deploy it later: said once.
  return EXIT.ok;
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.version) {
    io.out(VERSION);
    return EXIT.ok;
  }
  const [command, ...rest] = positionals;
  if (values.help || command === 'help') {
    io.out(HELP);
    return EXIT.ok;
  }
  const store = new ProfileStore();
  switch (command) {
    case undefined:
      return openWizard(store, io);
    case 'profiles':
      if (rest[0] === 'edit') {
        const name = rest[1];
        if (!name) throw new UsageError('missing argument: kubeup profiles edit NAME');
        // A clear error for an unknown name before the wizard opens; a profile that no longer validates opens as it
        // is stored, so that its problems can be fixed there.
        if (!store.has(name)) store.get(name);
        return openWizard(store, io, store.getRaw(name));
      }
      return profilesCommand(profilesArgs(rest, values), store, io);
    case 'certs':
      return (await import('./cli/certs.js')).certsCommand(rest[0], values, store, io);
    case 'cache':
      if (rest[0] !== 'prepare') throw new UsageError(`unknown command "cache ${rest[0] ?? ''}"`, { hint: 'use kubeup cache prepare --profile NAME [--arch amd64,arm64]' });
    // falls through
    case 'addons':
      if (command === 'addons' && rest[0] !== 'apply') throw new UsageError(`unknown command "addons ${rest[0] ?? ''}"`, { hint: 'use kubeup addons apply --profile NAME' });
    // falls through (cache prepare and addons apply run in deploy.ts)
    case 'plan':
    case 'status':
    case 'remove-node':
    case 'up':
    case 'upgrade':
    case 'down':
    case 'render': {
      const { deployCommand } = await import('./cli/deploy.js');
      return deployCommand(command, rest, values, store, io);
    }
    default:
      throw new UsageError(`unknown command "${command}"`, { hint: 'see `kubeup --help`' });
  }
}

function profilesArgs(positionals: string[], v: Values) {
  return {
    positionals,
    ...(v.name !== undefined && { name: v.name }),
    ...(v['env-file'] !== undefined && { envFile: v['env-file'] }),
    yes: v.yes === true,
    force: v.force === true,
    upgradeVersions: v['upgrade-versions'] === true,
  };
}

export type CliValues = Values;

const io = processIo();
run(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof KubeupError) {
      io.err(`kubeup: ${e.describe()}`);
      process.exitCode = e.exitCode;
    } else {
      io.err(`kubeup: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      io.err('This is a bug in kubeup: please report it with the lines above.');
      process.exitCode = EXIT.internal;
    }
  },
);
