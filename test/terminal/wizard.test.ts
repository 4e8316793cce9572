// The built CLI in a real terminal (tmux, 100x30): `kubeup` with no arguments opens the wizard; going through it
// saves a profile into the conf store under KUBEUP_CONFIG_DIR; `kubeup profiles edit NAME` opens it again.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ADDONS, DEFAULT_AUDIT, DEFAULT_NETWORK, DEFAULT_VERSIONS } from '../../src/profile/defaults.js';
import { TmuxTerminal } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist', 'cli.js');

let home: string;
let terminal: TmuxTerminal | undefined;

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'pipe' });
  statSync(CLI);
  home = mkdtempSync(join(tmpdir(), 'kubeup-wizard-'));
});

afterEach(() => {
  terminal?.stop();
  terminal = undefined;
});

afterAll(() => {
  if (home) rmSync(home, { recursive: true, force: true });
});

async function openCli(...args: string[]): Promise<TmuxTerminal> {
  terminal = await TmuxTerminal.start({
    argv: [process.execPath, CLI, ...args],
    cwd: home,
    env: {
      KUBEUP_CONFIG_DIR: join(home, 'config'),
      KUBEUP_STATE_DIR: join(home, 'state'),
      HOME: home,
      TERM: 'xterm-256color',
    },
  });
  return terminal;
}

function storedProfiles(): Record<string, unknown> {
  const store = JSON.parse(readFileSync(join(home, 'config', 'profiles.json'), 'utf8')) as { profiles: Record<string, unknown> };
  return store.profiles;
}

/** On the host list with the cursor on "Add a host": adds a host. roleDowns: 0 = ai, 1 = a, 2 = i. */
async function addHost(t: TmuxTerminal, address: string, roleDowns: number, listed: string): Promise<void> {
  await t.keys('Enter');
  await t.waitFor('New host');
  await t.type(address);
  await t.waitFor(address);
  await t.press('Enter', 3); // address -> user -> port -> roles
  await t.keys('Enter');
  await t.waitFor('worker (i)\n');
  await t.press('Down', roleDowns);
  await t.keys('Enter');
  await t.waitFor('› Node name');
  await t.press('Down', 2);
  await t.waitFor('› [ Save host ]');
  await t.keys('Enter');
  await t.waitFor(listed);
}

async function continueForm(t: TmuxTerminal, fieldCount: number, nextScreen: string): Promise<void> {
  await t.press('Down', fieldCount);
  await t.waitFor('› [ Continue ]');
  await t.keys('Enter');
  await t.waitFor(nextScreen);
}

describe('kubeup wizard in a terminal', () => {
  it('creates a profile from nothing and saves it in the store', async () => {
    const t = await openCli();
    await t.waitFor('No hosts yet');
    await addHost(t, '192.168.213.11', 0, '1. root@192.168.213.11:22  master+worker (ai)');
    await addHost(t, '192.168.213.12', 0, '2. root@192.168.213.12:22  worker (i)'); // a worker by default after a master
    await t.keys('Down');
    await t.waitFor('› Continue');
    await t.keys('Enter');

    await t.waitFor('Use SSH agent');
    await t.press('Down', 3);
    await t.keys('Space');
    await t.waitFor(/Ask sudo password at run time\s+\[x\] yes/);
    await continueForm(t, 3, 'CNI plugins');
    await continueForm(t, 7, 'Service CIDR');
    await continueForm(t, 7, 'the profile is valid'); // six text fields and the flannel backend
    await t.keys('Enter');
    await t.waitFor('Profile name');
    await t.type('tmux-lab');
    await t.waitFor('tmux-lab');
    await t.keys('Enter');
    await t.waitFor('› [ Save ]');
    await t.keys('Enter');
    const saved = await t.waitFor('Deploy now');
    expect(saved).toContain(`Saved profile tmux-lab to ${join(home, 'config', 'profiles.json')}`);
    await t.keys('Down');
    await t.waitFor('› Later');
    await t.keys('Enter');
    const end = await t.waitFor('[exit 0]');
    expect(end).toContain('kubeup up --profile tmux-lab');

    expect(storedProfiles()).toEqual({
      'tmux-lab': {
        name: 'tmux-lab',
        hosts: [
          { address: '192.168.213.11', user: 'root', port: 22, roles: ['master', 'worker'] },
          { address: '192.168.213.12', user: 'root', port: 22, roles: ['worker'] },
        ],
        ssh: { agent: true, password: false, sudoPassword: true, knownHosts: '~/.ssh/known_hosts' },
        versions: DEFAULT_VERSIONS,
        network: DEFAULT_NETWORK,
        download: { mirrors: {} },
        extraArgs: {},
        addons: DEFAULT_ADDONS,
        audit: DEFAULT_AUDIT,
      },
    });
  });

  it('edits the saved profile: prefilled, one field changed, overwritten after asking', async () => {
    const t = await openCli('profiles', 'edit', 'tmux-lab');
    await t.waitFor('2. root@192.168.213.12:22  worker (i)');
    await t.keys('Down');
    await t.waitFor('› Continue');
    await t.keys('Enter');
    await t.waitFor(/Ask sudo password at run time\s+\[x\] yes/);
    await continueForm(t, 6, 'CNI plugins');
    await continueForm(t, 7, 'Service CIDR');
    await t.press('Down', 3); // DNS domain
    await t.waitFor('› DNS domain');
    await t.press('BSpace', 'cluster.local'.length);
    await t.type('lab.internal');
    await t.waitFor(/DNS domain\s+lab\.internal/);
    await continueForm(t, 4, 'the profile is valid');
    await t.keys('Enter');
    await t.waitFor(/Profile name\s+tmux-lab/);
    await t.keys('Enter');
    await t.waitFor('› [ Save ]');
    await t.keys('Enter');
    await t.waitFor('A profile named tmux-lab already exists');
    await t.keys('Enter'); // Overwrite
    await t.waitFor('Deploy now');
    await t.keys('Down');
    await t.keys('Enter');
    await t.waitFor('[exit 0]');

    const profile = storedProfiles()['tmux-lab'] as { network: Record<string, unknown>; ssh: Record<string, unknown> };
    expect(profile.network).toEqual({ ...DEFAULT_NETWORK, dnsDomain: 'lab.internal' });
    expect(profile.ssh.sudoPassword).toBe(true);
  });

  it('quits on Ctrl-C without saving when nothing was typed', async () => {
    const t = await openCli();
    await t.waitFor('No hosts yet');
    await t.keys('C-c');
    // The README's exit code for a cancel, and one message.
    const end = await t.waitFor('[exit 130]');
    expect(end.match(/nothing was saved/g)).toHaveLength(1);
    expect(Object.keys(storedProfiles())).toEqual(['tmux-lab']);
  });
});
