import { userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubeconfigPath } from '../../../src/pki/kubeconfig-file.js';
import { resolveCacheDir } from '../../../src/release/cache.js';
import { configDir, expandHome, homeDir, stateDir } from '../../../src/state.js';

const account = userInfo().homedir;

describe('folders taken from the environment (XDG base directory rules)', () => {
  it('treats an empty XDG_CONFIG_HOME / XDG_STATE_HOME / XDG_CACHE_HOME as unset', () => {
    const env = { HOME: '/home/u', XDG_CONFIG_HOME: '', XDG_STATE_HOME: '', XDG_CACHE_HOME: '' };
    expect(configDir(env)).toBe('/home/u/.config/kubeup');
    expect(stateDir(env)).toBe('/home/u/.local/state/kubeup');
    expect(resolveCacheDir(undefined, env)).toBe('/home/u/.cache/kubeup');
  });

  it('ignores relative XDG paths, as the spec says, and takes absolute ones', () => {
    expect(configDir({ HOME: '/home/u', XDG_CONFIG_HOME: 'rel' })).toBe('/home/u/.config/kubeup');
    expect(stateDir({ HOME: '/home/u', XDG_STATE_HOME: './x' })).toBe('/home/u/.local/state/kubeup');
    expect(configDir({ HOME: '/home/u', XDG_CONFIG_HOME: '/cfg' })).toBe('/cfg/kubeup');
    expect(stateDir({ HOME: '/home/u', XDG_STATE_HOME: '/st' })).toBe('/st/kubeup');
  });

  it('falls back to the account\'s home when HOME is empty or relative, never to the current folder', () => {
    for (const HOME of ['', 'relative', undefined]) {
      const env = HOME === undefined ? {} : { HOME };
      expect(homeDir(env)).toBe(account);
      expect(configDir(env)).toBe(join(account, '.config/kubeup'));
      expect(stateDir(env)).toBe(join(account, '.local/state/kubeup'));
      expect(resolveCacheDir(undefined, env)).toBe(join(account, '.cache/kubeup'));
      expect(resolveCacheDir('~/c', env)).toBe(join(account, 'c'));
      expect(expandHome('~/.ssh/id', env)).toBe(join(account, '.ssh/id'));
      expect(kubeconfigPath(env as NodeJS.ProcessEnv)).toBe(join(account, '.kube/config'));
    }
  });

  it('treats an empty KUBEUP_CONFIG_DIR / KUBEUP_STATE_DIR as unset, and an empty KUBECONFIG entry as absent', () => {
    const env = { HOME: '/home/u', KUBEUP_CONFIG_DIR: '', KUBEUP_STATE_DIR: '' };
    expect(configDir(env)).toBe('/home/u/.config/kubeup');
    expect(stateDir(env)).toBe('/home/u/.local/state/kubeup');
    expect(configDir({ KUBEUP_CONFIG_DIR: '/c' })).toBe('/c');
    expect(kubeconfigPath({ HOME: '/home/u', KUBECONFIG: '' })).toBe('/home/u/.kube/config');
    expect(kubeconfigPath({ HOME: '/home/u', KUBECONFIG: ':/k/a:/k/b' })).toBe('/k/a');
  });
});
