// The data of the shipped pins, kept apart from the lookup so that the test bundle (test/e2e/test-bundle.ts) can
// swap this one module for the test mirror's values; the product build and the sources never see another table.
import type { PinnedChecksum } from './pinned-checksums.js';

const SALT_FORMULA = 'sysoperator/kubernetes-formula pillar/flannel.sls';

/** flannel's bare `flanneld-<arch>` release assets, as the Salt formula pins them for each release it deploys. */
function flanneld(version: string, amd64: string, arm64: string, revision: string): Record<string, PinnedChecksum> {
  const source = `${SALT_FORMULA} (${revision}, source_version v${version})`;
  return {
    [`flannel/v${version}/flanneld-amd64`]: { sha256: amd64, source },
    [`flannel/v${version}/flanneld-arm64`]: { sha256: arm64, source },
  };
}

export const SHIPPED_PINS: Readonly<Record<string, PinnedChecksum>> = {
  ...flanneld('0.27.4', 'fc1233aac3ad2707d14c9ae42016b5402753f755f0d07cc5c41dc4190e95d299', 'aa4f59bff09603ad10634c5a930afa57631dd99d8da0b7baeaadc655f00831b7', 'commit 38808a7a81ef6b827879477b2f5eb3ef5db1bd8b'),
  ...flanneld('0.27.3', '3436522a4e9fb71d0d72ac5a384d84ee9f40fcdc6e0fc6ade45f6da72a456f85', 'a9103996fe7683ed5af1f987c76bab6cab604939e00c19c238133c937a3ed075', 'an earlier revision'),
  ...flanneld('0.26.3', '0b91a37b676ae93e9a2a36aa9dd81d1f2d01464287afbb4eece6fe2831dd9afa', '54e730c729e19d2c5d5486e3e53bc9c701cf4427bfb860b0ea87b9024f0ecb99', 'an earlier revision'),
  ...flanneld('0.25.0', '771dbf46ebbd0139f983faec94e34272e393fa09af086cab81d34cbf821acbe6', '98734da8baf89c80d4bc8f8699182f85e69783e212171fb3da7c004d9d3986e2', 'an earlier revision'),
};
