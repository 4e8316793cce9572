// `kubeup up | plan | render | down`. Loaded lazily by cli.ts.
import { DeployError, UsageError } from '../errors.js';
import type { ProfileStore } from '../profile/store.js';
import type { Profile } from '../profile/types.js';
import { readProfileFile } from '../profile/yaml.js';
import type { CliIo } from './io.js';
import type { CliValues } from '../cli.js';

export function loadProfile(values: CliValues, store: ProfileStore): Profile {
  if (values.profile && values.file) throw new UsageError('give either --profile or --file, not both');
  if (values.profile) return store.get(values.profile);
  if (values.file) return readProfileFile(values.file);
  throw new UsageError('which cluster? add --profile NAME (see `kubeup profiles list`) or --file profile.yaml');
}

export async function deployCommand(command: string, _rest: string[], values: CliValues, store: ProfileStore, io: CliIo): Promise<number> {
  const profile = loadProfile(values, store);
  if (command === 'plan' || values['dry-run']) return describeDeploy(profile, io);
  throw new DeployError(`kubeup ${command} is not built yet`, { hint: `use kubeup plan --profile ${profile.name} to see what it will do` });
}

export async function describeDeploy(profile: Profile, io: CliIo): Promise<number> {
  io.out(`Plan for profile ${profile.name} (the deploy engine is not built yet: nothing was run):`);
  for (const h of profile.hosts) io.out(`  ${h.user}@${h.address}:${h.port}  roles ${h.roles.join(', ')}`);
  return 0;
}
