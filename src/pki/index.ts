// The cluster PKI and kubeconfig files. See identities.ts for the table of certificates.
export * from './identities.js';
export { identityInputFromPlan } from './from-plan.js';
export { caCommonName, CA_VALIDITY_YEARS, type CertificateAuthority } from './ca.js';
export { LEAF_VALIDITY_YEARS, type IssuedCert } from './issue.js';
export { RENEW_BEFORE_DAYS } from './inspect.js';
export { ensureClusterPki, RENEWED_REASON, certFile, keyFile, pubFile, type ClusterPki, type EnsurePkiOptions, type ServiceAccountKeyPair } from './store.js';
export { adminKubeconfigInput, renderKubeconfig, mergeKubeconfig, removeKubeconfigContext, type KubeconfigInput } from './kubeconfig.js';
export { kubeconfigPath, writeMergedKubeconfig, removeContextFromKubeconfig, writeSuperAdminKubeconfig, SUPER_ADMIN_KUBECONFIG, type KubeconfigFileResult } from './kubeconfig-file.js';
export { writeFileAtomic, ensurePrivateDir } from './files.js';
export { PkiError, KubeconfigError } from './errors.js';
