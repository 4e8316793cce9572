// Shared test helpers for the PKI tests: temporary folders, real openssl, real kubectl.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ClusterIdentityInput } from '../../../src/pki/identities.js';
import { realKubectl } from '../../kubectl.js';

export const run = promisify(execFile);

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `kubeup-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs openssl; returns exit code and combined output instead of throwing, so tests can assert on failures too. */
export async function openssl(args: string[], cwd?: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('openssl', args, { cwd });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

export async function writeAll(dir: string, files: Record<string, string>): Promise<void> {
  await Promise.all(Object.entries(files).map(([name, text]) => writeFile(join(dir, name), text)));
}

/** The real kubectl v1.35.2 (test/kubectl.ts). */
export async function kubectlBinary(): Promise<string> {
  return realKubectl();
}

/** A 3-host profile's input: master 10.0.0.10 (also a worker), workers 10.0.0.11 and 10.0.0.12. */
export function threeHostInput(): ClusterIdentityInput {
  return {
    clusterName: 'lab',
    masterAddress: '10.0.0.10',
    masterHostname: 'cp1',
    serviceCidr: '10.96.0.0/12',
    dnsDomain: 'cluster.local',
    apiServerPort: 6443,
    nodes: [
      { nodeName: 'cp1', address: '10.0.0.10' },
      { nodeName: 'w1', address: '10.0.0.11' },
      { nodeName: 'w2', address: '10.0.0.12' },
    ],
  };
}
