// Named profiles in one `conf` JSON file. Each profile is validated on its own when read, so one bad
// (hand-edited) entry is reported without hiding or losing the others. A file that is not JSON at all is never
// overwritten: every command that would write refuses until the user fixes or moves it.
import Conf from 'conf';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProfileError, type ProfileIssue } from '../errors.js';
import { configDir } from '../state.js';
import type { Profile } from './types.js';
import { validateProfile } from './validate.js';

const STORE_VERSION = 1;
type StoreData = { version: number; profiles: Record<string, unknown> };

export type StoredProfile =
  | { name: string; ok: true; profile: Profile }
  | { name: string; ok: false; issues: ProfileIssue[] };

export class ProfileStore {
  readonly path: string;
  private conf: Conf<StoreData> | undefined;

  constructor(dir: string = configDir()) {
    this.path = join(dir, 'profiles.json');
  }

  /** Opens the file lazily; a corrupt file becomes a ProfileError that names it and says what to do. */
  private open(): Conf<StoreData> {
    if (this.conf) return this.conf;
    if (existsSync(this.path)) this.checkReadable();
    this.conf = new Conf<StoreData>({
      projectName: 'kubeup',
      projectSuffix: '',
      cwd: this.path.slice(0, -'/profiles.json'.length),
      configName: 'profiles',
      accessPropertiesByDotNotation: false,
      clearInvalidConfig: false,
      // Profiles name hosts, users and key paths: only the owner reads them, like the cluster state.
      configFileMode: 0o600,
      defaults: { version: STORE_VERSION, profiles: {} },
    });
    return this.conf;
  }

  private checkReadable(): void {
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (e) {
      throw new ProfileError('the profile store is not valid JSON', [], {
        file: this.path,
        cause: e,
        hint: `fix the file by hand, or move it aside (mv ${this.path} ${this.path}.broken) to start a new store; kubeup will not overwrite it`,
      });
    }
    const d = data as Partial<StoreData> | null;
    if (typeof d !== 'object' || d === null || Array.isArray(d) || (d.profiles !== undefined && (typeof d.profiles !== 'object' || d.profiles === null || Array.isArray(d.profiles)))) {
      throw new ProfileError('the profile store does not hold a "profiles" object', [], {
        file: this.path,
        hint: `fix the file by hand, or move it aside (mv ${this.path} ${this.path}.broken)`,
      });
    }
    if (typeof d.version === 'number' && d.version > STORE_VERSION) {
      throw new ProfileError(`the profile store was written by a newer kubeup (store version ${d.version})`, [], {
        file: this.path,
        hint: 'upgrade kubeup',
      });
    }
  }

  private all(): Record<string, unknown> {
    return this.open().get('profiles') ?? {};
  }

  names(): string[] {
    return Object.keys(this.all()).sort();
  }

  list(): StoredProfile[] {
    const all = this.all();
    return Object.keys(all)
      .sort()
      .map((name) => this.check(name, all[name]));
  }

  private check(name: string, raw: unknown): StoredProfile {
    const result = validateProfile(raw);
    if (!result.profile) return { name, ok: false, issues: result.issues };
    if (result.profile.name !== name) {
      return { name, ok: false, issues: [{ path: 'name', message: `is "${result.profile.name}" but the profile is stored as "${name}"`, hint: `kubeup profiles rm ${name}, then import it again` }] };
    }
    return { name, ok: true, profile: result.profile };
  }

  has(name: string): boolean {
    return Object.hasOwn(this.all(), name);
  }

  /** The profile, validated; an unknown name or an invalid entry throws a ProfileError that says what to do. */
  get(name: string): Profile {
    const all = this.all();
    if (!Object.hasOwn(all, name)) {
      const known = Object.keys(all).sort();
      throw new ProfileError(`no profile named "${name}"`, [], {
        file: this.path,
        hint: known.length ? `saved profiles: ${known.join(', ')}` : 'create one with `kubeup` (the wizard) or `kubeup profiles import FILE`',
      });
    }
    const entry = this.check(name, all[name]);
    if (!entry.ok) {
      throw new ProfileError(`saved profile "${name}" is not valid`, entry.issues, {
        file: this.path,
        hint: `fix it in the wizard (kubeup profiles edit ${name}), or export it (kubeup profiles export ${name} ${name}.yaml), fix the file and import it again with --force`,
      });
    }
    return entry.profile;
  }

  /** Raw stored value, even when it no longer validates (for export and the wizard's edit). */
  getRaw(name: string): unknown {
    return this.all()[name];
  }

  /** Saves a profile that must already be valid; the other profiles are untouched. */
  save(profile: Profile): string {
    const result = validateProfile(profile);
    if (!result.profile) throw new ProfileError(`profile "${profile.name}" is not valid; not saved`, result.issues);
    const conf = this.open();
    conf.set('profiles', { ...this.all(), [profile.name]: result.profile });
    conf.set('version', STORE_VERSION);
    return this.path;
  }

  remove(name: string): void {
    const all = { ...this.all() };
    if (!Object.hasOwn(all, name)) throw new ProfileError(`no profile named "${name}"`, [], { file: this.path, hint: 'see `kubeup profiles list`' });
    delete all[name];
    this.open().set('profiles', all);
  }
}
