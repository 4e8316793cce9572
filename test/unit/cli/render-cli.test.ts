// `kubeup render --out` and `kubeup up --dry-run` as a user runs them (through tsx): the add-on manifests are
// written and printed as YAML that parses back into exactly the objects kubeup applies.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const dir = mkdtempSync(join(tmpdir(), 'kubeup-render-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kubeup(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH!, HOME: dir, KUBEUP_CONFIG_DIR: join(dir, 'config'), KUBEUP_STATE_DIR: join(dir, 'state') },
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('add-on manifests in render --out and the dry-run', () => {
  it('render --out writes addons/coredns.yaml beside the hosts\' files', () => {
    const out = join(dir, 'out');
    const r = kubeup(['render', '--file', 'profiles/classic.yaml', '--out', out]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`and the add-on manifests under ${join(out, 'addons')}`);
    const file = join(out, 'addons', 'coredns.yaml');
    expect(statSync(file).mode & 0o777).toBe(0o644);
    const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec?: { clusterIP?: string } });
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual(['ServiceAccount/coredns', 'ClusterRole/system:coredns', 'ClusterRoleBinding/system:coredns', 'ConfigMap/coredns', 'Deployment/coredns', 'Service/kube-dns']);
    expect(docs[5]!.spec!.clusterIP).toBe('10.96.0.10');
  });

  it('the dry-run prints the plan\'s add-on phase and the same manifest', () => {
    const r = kubeup(['up', '--file', 'profiles/classic.yaml', '--dry-run']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('7. addons: Apply cluster add-ons, through the API of 192.168.4.218');
    expect(r.out).toContain('--- addons/coredns.yaml (applied through the API; kubectl apply --server-side -f takes it as it is)\napiVersion: v1\nkind: ServiceAccount\n');
    expect(r.out).toContain(readFileSync(join(dir, 'out', 'addons', 'coredns.yaml'), 'utf8'));
  });
});
