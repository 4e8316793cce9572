/**
 * The shared stand-in library. Stand-ins import from here; build.ts bundles each stand-in with it into one file.
 */
export { intToIp4, ip4ToInt, overlaps, parseCidr4, subnet, type Cidr4 } from './cidr.js';
export { checkDelegationKubeconfigs, clientFromKubeconfig, lookupInClusterAuthentication } from './component-client.js';
export { buildInfo, versionParts, type StandinBuildInfo } from './build-info.js';
export { runStandin, usageText, type Running, type StandinProgram } from './cli.js';
export { ApiClient, ApiError, isAlreadyExists, isConflict, isNotFound, resourcePath, type KubeList, type KubeObject, type ObjectMeta, type ObjectRef, type PatchType, type Status } from './client.js';
export { StandinExit, aggregate, goQuote } from './errors.js';
export { FlagError, flagSpecFromReference, parseFlags, splitCsv, type FlagDef, type FlagReference, type FlagSpec, type FlagType, type ParsedFlags, type SpecOptions } from './flags.js';
export { formatDuration, parseBool, parseCIDR, parseDuration, parseIP } from './go-parse.js';
export { Klog, klog, setLogSink, setVerbosity } from './klog.js';
export { loadKubeconfig, type ClientConfig } from './kubeconfig.js';
export { runLeaderElection, type LeaderElectionConfig } from './leader-election.js';
export { mintCertificate, selfSignedServing, type MintRequest, type Minted } from './mint.js';
export { checkNotExpired, checkSignedByOneOf, goOpenError, goPathError, isSignedBy, keyMatchesCertificate, loadCertificates, loadKeyPair, loadPrivateKey, loadPublicKeys, parseCertificates, pemBlocks, readFileOrExit, subjectFields, type KeyPair } from './pki.js';
export { CONNTRACK_DEFAULTS, kernelTunables, openKmsg, podCgroupRoot, setupConntrack, type ConntrackConfig, type KernelTunableBehavior } from './node-host.js';
export { serveSecure, type SecureServer, type SecureServingOptions } from './secure-serving.js';
export { delay, metaTime, microTime } from './time.js';
export { parseYamlStrict } from './yaml.js';
