import { mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProfileError } from '../../../src/errors.js';
import { ProfileStore } from '../../../src/profile/store.js';
import { requireValidProfile } from '../../../src/profile/validate.js';
import { parseProfileYaml, profileToYaml, readProfileFile } from '../../../src/profile/yaml.js';

const profile = (name: string) =>
  requireValidProfile(
    { name, hosts: [{ address: '192.168.4.218', roles: 'ai' }, { address: '192.168.4.217', roles: 'i', port: 2222 }] },
    'test',
  );

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeup-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('ProfileStore', () => {
  it('saves, lists, gets and removes named profiles', () => {
    const store = new ProfileStore(dir);
    expect(store.list()).toEqual([]);
    store.save(profile('b-lab'));
    store.save(profile('a.lab'.replace('.', '-')));
    expect(store.names()).toEqual(['a-lab', 'b-lab']);
    expect(store.get('b-lab')).toEqual(profile('b-lab'));
    // A fresh store object reads the same file.
    expect(new ProfileStore(dir).get('a-lab')).toEqual(profile('a-lab'));
    store.remove('a-lab');
    expect(new ProfileStore(dir).names()).toEqual(['b-lab']);
  });

  it('refuses to save an invalid profile and leaves the file as it was', () => {
    const store = new ProfileStore(dir);
    store.save(profile('good'));
    const before = readFileSync(store.path, 'utf8');
    const bad = { ...profile('bad'), network: { ...profile('bad').network, podCidr: '10.96.0.0/16' } };
    expect(() => store.save(bad)).toThrow(ProfileError);
    expect(readFileSync(store.path, 'utf8')).toBe(before);
  });

  it('names the unknown profile and lists the saved ones', () => {
    const store = new ProfileStore(dir);
    store.save(profile('lab'));
    const err = (() => {
      try {
        store.get('nope');
      } catch (e) {
        return e as ProfileError;
      }
    })();
    expect(err).toBeInstanceOf(ProfileError);
    expect(err!.describe()).toMatch(/no profile named "nope"/);
    expect(err!.hint).toMatch(/saved profiles: lab/);
  });

  it('reports a corrupt file clearly and never overwrites it', () => {
    const store = new ProfileStore(dir);
    store.save(profile('lab'));
    const path = store.path;
    writeFileSync(path, '{"profiles": {"lab": {"name": "lab"'); // cut short, as an editor crash would
    const fresh = new ProfileStore(dir);
    expect(() => fresh.names()).toThrow(/not valid JSON/);
    expect(() => fresh.save(profile('other'))).toThrow(/not valid JSON/);
    expect(readFileSync(path, 'utf8')).toBe('{"profiles": {"lab": {"name": "lab"');
  });

  it('keeps the other profiles usable when one entry was hand-edited into nonsense', () => {
    const store = new ProfileStore(dir);
    store.save(profile('good'));
    store.save(profile('broken'));
    const data = JSON.parse(readFileSync(store.path, 'utf8'));
    data.profiles.broken.hosts[0].address = '999.1.1.1';
    writeFileSync(store.path, JSON.stringify(data));
    const fresh = new ProfileStore(dir);
    const list = fresh.list();
    expect(list.map((e) => [e.name, e.ok])).toEqual([
      ['broken', false],
      ['good', true],
    ]);
    expect(fresh.get('good')).toEqual(profile('good'));
    expect(() => fresh.get('broken')).toThrow(/saved profile "broken" is not valid/);
    // Saving another profile keeps the broken entry as it was, for the user to repair.
    fresh.save(profile('third'));
    expect(JSON.parse(readFileSync(store.path, 'utf8')).profiles.broken.hosts[0].address).toBe('999.1.1.1');
  });

  it('holds no secrets: the store file is mode 0600 and has no password fields', () => {
    const store = new ProfileStore(dir);
    store.save(profile('lab'));
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(readFileSync(store.path, 'utf8')).not.toMatch(/passphrase|"password":\s*"/i);
  });
});

describe('YAML files', () => {
  it('round-trips a profile through export and import unchanged', () => {
    const p = profile('lab');
    const file = join(dir, 'lab.yaml');
    writeFileSync(file, profileToYaml(p));
    expect(readProfileFile(file)).toEqual(p);
    expect(readProfileFile(file, 'renamed').name).toBe('renamed');
  });

  it('loads the shipped sample profiles', () => {
    expect(readProfileFile('profiles/classic.yaml').hosts.map((h) => [h.address, h.roles])).toEqual([
      ['192.168.4.218', ['master', 'worker']],
      ['192.168.4.217', ['worker']],
    ]);
    expect(readProfileFile('profiles/three-hosts.yaml').hosts).toHaveLength(3);
  });

  it('names the line and column of a YAML syntax error', () => {
    expect(() => parseProfileYaml('name: x\nhosts:\n  - address: [1\n', 'p.yaml')).toThrow(/p\.yaml is not valid YAML at line \d+, column \d+/);
  });

  it('names the file and every invalid field', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: bad\nhosts:\n  - address: 10.0.0.1\n    roles: [worker]\n');
    try {
      readProfileFile(file);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ProfileError);
      expect((e as ProfileError).describe()).toContain(file);
      expect((e as ProfileError).issues.map((i) => i.path)).toContain('hosts');
    }
  });
});

describe('download settings', () => {
  it('takes download.from operator or hosts and refuses anything else, naming the field', () => {
    expect(requireValidProfile({ ...profile('lab'), download: { mirrors: {}, from: 'hosts' } }, 'test').download.from).toBe('hosts');
    expect(requireValidProfile({ ...profile('lab'), download: { mirrors: {}, from: 'operator' } }, 'test').download.from).toBe('operator');
    let err: unknown;
    try {
      requireValidProfile({ ...profile('lab'), download: { mirrors: {}, from: 'nodes' } }, 'test');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProfileError);
    expect((err as ProfileError).issues.map((i) => i.path)).toContain('download.from');
  });
  it('keeps pinned checksums through validation and a YAML round trip', () => {
    const sha = 'a'.repeat(64);
    const p = requireValidProfile({ ...profile('lab'), download: { mirrors: {}, checksums: { 'flannel-v0.28.9-linux-amd64.tar.gz': sha } } }, 'test');
    expect(p.download.checksums).toEqual({ 'flannel-v0.28.9-linux-amd64.tar.gz': sha });
    const file = join(dir, 'lab.yaml');
    writeFileSync(file, profileToYaml(p));
    expect(readProfileFile(file).download.checksums).toEqual({ 'flannel-v0.28.9-linux-amd64.tar.gz': sha });
  });
});
