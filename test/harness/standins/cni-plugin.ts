/**
 * Stand-in for every CNI plugin binary (bridge, host-local, loopback, portmap, flannel, ...): one program that takes
 * its name from the file it was started as. It speaks the CNI protocol's VERSION command like libcni's skel package;
 * every other command fails with a CNI error result, because pods cannot run on the test hosts (cgroups are read-only
 * there, see TEST-HOSTS.md).
 */
import path from 'node:path';
import { buildInfo } from './common/build-info.js';

/** What plugins built with libcni 1.x report (version.All). */
export const SUPPORTED_CNI_VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];
export const CURRENT_CNI_VERSION = '1.1.0';

/** CNI spec error codes; 100 and above are plugin-specific. */
const ERR_INCOMPATIBLE_VERSION = 1;
const ERR_INVALID_ENVIRONMENT = 4;
const ERR_DECODING_FAILURE = 6;
const ERR_PODS_CANNOT_RUN = 100;

/** The plugin name from the file name: `flannel-amd64` (as in the flannel CNI tarball) is `flannel`. */
export function pluginName(argv1: string | undefined): string {
  return path.basename(argv1 ?? 'cni-plugin').replace(/-(amd64|arm64)$/, '');
}

interface Outcome {
  stdout?: string;
  stderr?: string;
  exitCode: number;
}

const errorResult = (code: number, msg: string, details?: string): Outcome => ({
  stdout: `${JSON.stringify({ cniVersion: CURRENT_CNI_VERSION, code, msg, ...(details ? { details } : {}) })}\n`,
  exitCode: 1,
});

export function runCni(name: string, version: string, env: NodeJS.ProcessEnv, stdin: string): Outcome {
  const command = env.CNI_COMMAND ?? '';
  if (command === '') {
    // skel prints what it is when started by hand, and exits successfully.
    return {
      stderr: `CNI ${name} plugin ${version}\nCNI protocol versions supported: ${SUPPORTED_CNI_VERSIONS.join(', ')}\n`,
      exitCode: 0,
    };
  }
  if (command === 'VERSION') {
    if (stdin.trim() !== '') {
      let requested: unknown;
      try {
        requested = (JSON.parse(stdin) as { cniVersion?: unknown }).cniVersion;
      } catch (err) {
        return errorResult(ERR_DECODING_FAILURE, 'decoding version from network config', (err as Error).message);
      }
      if (typeof requested === 'string' && requested !== '' && !SUPPORTED_CNI_VERSIONS.includes(requested)) {
        return errorResult(
          ERR_INCOMPATIBLE_VERSION,
          'incompatible CNI versions',
          `config is "${requested}", plugin supports [${SUPPORTED_CNI_VERSIONS.map((v) => `"${v}"`).join(' ')}]`,
        );
      }
    }
    return { stdout: `${JSON.stringify({ cniVersion: CURRENT_CNI_VERSION, supportedVersions: SUPPORTED_CNI_VERSIONS })}\n`, exitCode: 0 };
  }
  if (['ADD', 'DEL', 'CHECK', 'GC', 'STATUS'].includes(command)) {
    return errorResult(
      ERR_PODS_CANNOT_RUN,
      `${name}: ${command} refused: pods cannot run on the kubeup test hosts`,
      `this ${name} plugin is a stand-in from the kubeup test release mirror; it answers VERSION only, ` +
        'because runc cannot start containers where cgroups are read-only',
    );
  }
  return errorResult(ERR_INVALID_ENVIRONMENT, `unknown CNI_COMMAND: ${command}`);
}

function readStdin(): Promise<string> {
  // A plugin started by hand has a terminal on stdin: nothing to read.
  if (process.stdin.isTTY) return Promise.resolve('');
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => parts.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

async function main(): Promise<void> {
  const name = pluginName(process.argv[1]);
  const { version } = buildInfo();
  const needsStdin = (process.env.CNI_COMMAND ?? '') !== '';
  const outcome = runCni(name, version, process.env, needsStdin ? await readStdin() : '');
  if (outcome.stdout) process.stdout.write(outcome.stdout);
  if (outcome.stderr) process.stderr.write(outcome.stderr);
  process.exitCode = outcome.exitCode;
}

void main();
