export { nextPatch, startMirror, type Mirror, type MirrorArtefact, type ServedRequest, type StartMirrorOptions } from './server.js';
export { FaultSwitches, type Fault, type PathPattern } from './faults.js';
export { prepareArtefacts, type StandinBuilder } from './build.js';
export { COMPONENT_PREFIX, CNI_PLUGIN_NAMES, KUBERNETES_BINARIES, REAL_BINARY_BYTES, mirrorLayout, type Arch } from './layout.js';
export { MIRROR_CACHE_DIR } from './cache.js';
