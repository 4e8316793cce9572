// Child process for the concurrency test: fetches the artefacts given in KUBEUP_TEST_ARTIFACTS into
// KUBEUP_TEST_CACHE and prints the result as JSON.
import { fetchArtifacts } from '../../../src/release/index.js';
import type { Artifact } from '../../../src/release/types.js';

const artifacts = JSON.parse(process.env.KUBEUP_TEST_ARTIFACTS ?? '[]') as Artifact[];
const fetched = await fetchArtifacts(artifacts, { cacheDir: process.env.KUBEUP_TEST_CACHE!, env: {}, attempts: 1, idleTimeoutMs: 30_000 });
process.stdout.write(JSON.stringify(fetched.map((f) => ({ id: f.artifact.id, sha256: f.sha256, paths: f.binaries.map((b) => b.path) }))));
