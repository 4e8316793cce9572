// profile + host arches -> the flat, sorted list of release artefacts to fetch. Pure: no I/O.
// Upstream layouts (a mirror in profile.download.mirrors.<component> replaces the base and serves the same paths):
//   kubernetes        {base}/v{K}/bin/linux/{arch}/{binary}                 + {binary}.sha256 (hex only)
//   etcd              {base}/v{E}/etcd-v{E}-linux-{arch}.tar.gz              + {base}/v{E}/SHA256SUMS
//   flannel           {base}/v{F}/flanneld-{arch}                            (no checksum file upstream: pinned-checksums.ts)
//   flannelCniPlugin  {base}/v{P}/cni-plugin-flannel-linux-{arch}-v{P}.tgz   + .sha256 (`<hex>  <file>`)
//   containerd        {base}/v{C}/containerd-{C}-linux-{arch}.tar.gz         + .sha256sum
//   runc              {base}/v{R}/runc.{arch}                                + {base}/v{R}/runc.sha256sum
//   cniPlugins        {base}/v{N}/cni-plugins-linux-{arch}-v{N}.tgz          + .sha256 (`<hex>  <file>`)
import type { Component, Profile } from '../profile/types.js';
import { pinKey, pinnedChecksum, type PinnedChecksum } from './pinned-checksums.js';
import type { Arch, Artifact, ArtifactBinary, ArtifactRole, ChecksumSource } from './types.js';

export const UPSTREAM_BASES: Readonly<Record<Component, string>> = {
  kubernetes: 'https://dl.k8s.io/release',
  etcd: 'https://github.com/etcd-io/etcd/releases/download',
  flannel: 'https://github.com/flannel-io/flannel/releases/download',
  flannelCniPlugin: 'https://github.com/flannel-io/cni-plugin/releases/download',
  containerd: 'https://github.com/containerd/containerd/releases/download',
  runc: 'https://github.com/opencontainers/runc/releases/download',
  cniPlugins: 'https://github.com/containernetworking/plugins/releases/download',
};

export const KUBERNETES_MASTER_BINARIES = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
export const KUBERNETES_WORKER_BINARIES = ['kubelet', 'kube-proxy'] as const;
/** The CNI reference plugins a flannel network needs: flannel delegates to bridge + host-local; portmap for hostPort. */
export const CNI_PLUGIN_BINARIES = ['bridge', 'host-local', 'loopback', 'portmap'] as const;

const OPT_BIN = '/opt/bin';
const CNI_BIN = '/opt/cni/bin';

export interface ManifestOptions {
  /** The shipped table of pinned checksums; tests pass their own. */
  pinned?: Readonly<Record<string, PinnedChecksum>>;
}

type ProfileParts = Pick<Profile, 'versions' | 'download'>;

interface Draft {
  component: Component;
  arch: Arch;
  path: string;
  fileName: string;
  content: Artifact['content'];
  checksum: { path: string; format: 'hex' | 'sums' } | 'none';
  binaries: ArtifactBinary[];
  roles: ArtifactRole[];
}

const bin = (name: string, member?: string, dir = OPT_BIN): ArtifactBinary => ({
  name,
  ...(member !== undefined && { member }),
  installAs: `${dir}/${name}`,
});

function drafts(profile: ProfileParts, arch: Arch): Draft[] {
  const v = profile.versions;
  const out: Draft[] = [];
  const k8s = (name: string, roles: ArtifactRole[]): Draft => ({
    component: 'kubernetes',
    arch,
    path: `v${v.kubernetes}/bin/linux/${arch}/${name}`,
    fileName: name,
    content: 'elf',
    checksum: { path: `v${v.kubernetes}/bin/linux/${arch}/${name}.sha256`, format: 'hex' },
    binaries: [bin(name)],
    roles,
  });
  for (const name of KUBERNETES_MASTER_BINARIES) out.push(k8s(name, ['master']));
  for (const name of KUBERNETES_WORKER_BINARIES) out.push(k8s(name, ['worker']));
  out.push(k8s('kubectl', ['local']));

  const etcdDir = `etcd-v${v.etcd}-linux-${arch}`;
  out.push({
    component: 'etcd',
    arch,
    path: `v${v.etcd}/${etcdDir}.tar.gz`,
    fileName: `${etcdDir}.tar.gz`,
    content: 'gzip',
    checksum: { path: `v${v.etcd}/SHA256SUMS`, format: 'sums' },
    binaries: [bin('etcd', `${etcdDir}/etcd`), bin('etcdctl', `${etcdDir}/etcdctl`)],
    roles: ['master'],
  });

  // The bare binary, not the tarball: it is the asset form whose sha256 public deployment code pins.
  out.push({
    component: 'flannel',
    arch,
    path: `v${v.flannel}/flanneld-${arch}`,
    fileName: `flanneld-${arch}`,
    content: 'elf',
    checksum: 'none',
    binaries: [bin('flanneld')],
    roles: ['worker'],
  });

  const flannelCni = `cni-plugin-flannel-linux-${arch}-v${v.flannelCniPlugin}.tgz`;
  out.push({
    component: 'flannelCniPlugin',
    arch,
    path: `v${v.flannelCniPlugin}/${flannelCni}`,
    fileName: flannelCni,
    content: 'gzip',
    checksum: { path: `v${v.flannelCniPlugin}/${flannelCni}.sha256`, format: 'sums' },
    binaries: [bin('flannel', `flannel-${arch}`, CNI_BIN)],
    roles: ['worker'],
  });

  const containerd = `containerd-${v.containerd}-linux-${arch}.tar.gz`;
  out.push({
    component: 'containerd',
    arch,
    path: `v${v.containerd}/${containerd}`,
    fileName: containerd,
    content: 'gzip',
    checksum: { path: `v${v.containerd}/${containerd}.sha256sum`, format: 'sums' },
    binaries: ['containerd', 'containerd-shim-runc-v2', 'ctr'].map((name) => bin(name, `bin/${name}`)),
    roles: ['worker'],
  });

  out.push({
    component: 'runc',
    arch,
    path: `v${v.runc}/runc.${arch}`,
    fileName: `runc.${arch}`,
    content: 'elf',
    checksum: { path: `v${v.runc}/runc.sha256sum`, format: 'sums' },
    binaries: [bin('runc')],
    roles: ['worker'],
  });

  const cni = `cni-plugins-linux-${arch}-v${v.cniPlugins}.tgz`;
  out.push({
    component: 'cniPlugins',
    arch,
    path: `v${v.cniPlugins}/${cni}`,
    fileName: cni,
    content: 'gzip',
    checksum: { path: `v${v.cniPlugins}/${cni}.sha256`, format: 'sums' },
    binaries: CNI_PLUGIN_BINARIES.map((name) => bin(name, `./${name}`, CNI_BIN)),
    roles: ['worker'],
  });
  return out;
}

export function componentBase(profile: Pick<Profile, 'download'>, component: Component): string {
  return (profile.download.mirrors[component] ?? UPSTREAM_BASES[component]).replace(/\/+$/, '');
}

function checksumFor(
  draft: Draft,
  base: string,
  overrides: Readonly<Record<string, string>>,
  pinned: Readonly<Record<string, PinnedChecksum>> | undefined,
): ChecksumSource {
  // The profile's own value wins: it is how a user pins a file upstream publishes no checksum for, or checks a
  // mirror that does not carry the checksum files.
  const override = Object.hasOwn(overrides, draft.fileName) ? overrides[draft.fileName] : undefined;
  if (override !== undefined) {
    return { kind: 'pinned', sha256: override.toLowerCase(), source: `profile download.checksums["${draft.fileName}"]` };
  }
  if (draft.checksum !== 'none') return { kind: 'file', url: `${base}/${draft.checksum.path}`, format: draft.checksum.format };
  const shipped = pinnedChecksum(pinKey(draft.component, draft.path), pinned);
  if (shipped) return { kind: 'pinned', sha256: shipped.sha256, source: shipped.source };
  return { kind: 'missing' };
}

/**
 * Every artefact a cluster of these arches needs, sorted by id. kubectl is included for each arch with the role
 * `local`: callers pick the operator's own arch.
 */
export function releaseManifest(profile: ProfileParts, arches: readonly Arch[], opts: ManifestOptions = {}): Artifact[] {
  const overrides = profile.download.checksums ?? {};
  const artifacts: Artifact[] = [];
  for (const arch of [...new Set(arches)]) {
    for (const d of drafts(profile, arch)) {
      const base = componentBase(profile, d.component);
      artifacts.push({
        id: `${d.component}/${arch}/${d.fileName}`,
        component: d.component,
        version: profile.versions[d.component],
        arch,
        url: `${base}/${d.path}`,
        fileName: d.fileName,
        content: d.content,
        checksum: checksumFor(d, base, overrides, opts.pinned),
        binaries: d.binaries,
        roles: d.roles,
      });
    }
  }
  return artifacts.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The artefacts a host with these roles needs. */
export function artifactsForRoles(artifacts: readonly Artifact[], roles: readonly ArtifactRole[], arch: Arch): Artifact[] {
  return artifacts.filter((a) => a.arch === arch && a.roles.some((r) => roles.includes(r)));
}

/** One line per artefact for the plan: id, URL and where its sha256 comes from. Sorted like the manifest. */
export function describeManifest(artifacts: readonly Artifact[]): string[] {
  return artifacts.map((a) => {
    const sum =
      a.checksum.kind === 'file'
        ? `sha256 from ${a.checksum.url}`
        : a.checksum.kind === 'pinned'
          ? `sha256 ${a.checksum.sha256} (${a.checksum.source})`
          : 'sha256 UNKNOWN: add it to download.checksums';
    return `${a.id}  ${a.url}  ${sum}`;
  });
}
