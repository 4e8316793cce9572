// What the test release mirror serves, as pure data: every artefact's path below its component's base URL, where its
// bytes come from, and which checksum files cover it. Paths follow the upstream release layouts, so kubeup only has
// to swap the base URL (profile download.mirrors.<component>).
import type { Component, Versions } from '../../../src/profile/types.js';

export type Arch = 'amd64' | 'arm64';

/** URL path prefix (below http://127.0.0.1:<port>/) of each component's base. */
export const COMPONENT_PREFIX: Record<Component, string> = {
  kubernetes: 'kubernetes',
  etcd: 'etcd',
  flannel: 'flannel',
  flannelCniPlugin: 'flannel-cni-plugin',
  containerd: 'containerd',
  runc: 'runc',
  cniPlugins: 'cni-plugins',
};

export const KUBERNETES_BINARIES = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'kubelet',
  'kube-proxy',
] as const;
export type KubernetesBinary = (typeof KUBERNETES_BINARIES)[number];

/** Kubernetes binaries that are stand-ins (kubectl is the real one). */
export const KUBERNETES_STANDINS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy'] as const;
export type KubernetesStandin = (typeof KUBERNETES_STANDINS)[number];

/** Sizes of the real v1.35 amd64 binaries, for `pad: true` (transfer benchmarks). */
export const REAL_BINARY_BYTES: Record<KubernetesStandin, number> = {
  'kube-apiserver': 90_000_000,
  'kube-controller-manager': 82_000_000,
  'kube-scheduler': 64_000_000,
  kubelet: 77_000_000,
  'kube-proxy': 66_000_000,
};

/** The plugins of containernetworking/plugins 1.x release tarballs; each is the one CNI stand-in. */
export const CNI_PLUGIN_NAMES = [
  'bandwidth',
  'bridge',
  'dhcp',
  'dummy',
  'firewall',
  'host-device',
  'host-local',
  'ipvlan',
  'loopback',
  'macvlan',
  'portmap',
  'ptp',
  'sbr',
  'static',
  'tap',
  'tuning',
  'vlan',
  'vrf',
] as const;

/** Real Debian binaries served where upstream ships the same program. */
export const DEBIAN_BINARIES = {
  etcd: '/usr/bin/etcd',
  etcdctl: '/usr/bin/etcdctl',
  containerd: '/usr/bin/containerd',
  'containerd-shim-runc-v2': '/usr/bin/containerd-shim-runc-v2',
  ctr: '/usr/bin/ctr',
  runc: '/usr/sbin/runc',
} as const;
export type DebianBinary = keyof typeof DEBIAN_BINARIES;

/** Where an artefact's (or a tarball member's) bytes come from. */
export type Source =
  | { kind: 'debian'; binary: DebianBinary }
  | { kind: 'kubectl' }
  /** A stand-in built with buildStandin; `version` is the version of the release it stands in for. */
  | { kind: 'standin'; name: string; version: string; padToBytes?: number }
  | { kind: 'text'; content: string }
  /** A binary that does not exist for this arch in the test mirror: a script that says so and fails. */
  | { kind: 'placeholder'; name: string; arch: Arch };

export interface TarMember {
  /** Name inside the tarball, exactly as upstream writes it (`./bridge`, `bin/ctr`, `etcd-v3.6.14-linux-amd64/etcd`). */
  name: string;
  /** Absent for a directory entry (name ends with `/`). */
  source?: Source;
  mode: number;
}

export type ArtefactSpec =
  | { component: Component; path: string; type: 'file'; source: Source }
  | { component: Component; path: string; type: 'tarball'; members: TarMember[] };

/**
 * `hex`: the file holds the 64 hex digits only (dl.k8s.io `<binary>.sha256`).
 * `sums`: one `<hex>  <file name>` line per covered artefact (sha256sum output).
 */
export type ChecksumStyle = 'hex' | 'sums';

export interface ChecksumSpec {
  component: Component;
  path: string;
  style: ChecksumStyle;
  /** Paths (below the same component base) of the artefacts this file lists, in the order listed. */
  covers: string[];
}

export interface MirrorLayout {
  artefacts: ArtefactSpec[];
  checksumFiles: ChecksumSpec[];
}

const BINARY = 0o755;
const DOC = 0o644;
const DIR = 0o755;

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

function binarySource(arch: Arch, name: string, real: Source): Source {
  // Debian's binaries and the bundled kubectl are amd64 programs: never pretend they run on arm64.
  return arch === 'amd64' ? real : { kind: 'placeholder', name, arch };
}

function kubernetes(v: string, arches: Arch[], pad: boolean): MirrorLayout {
  const artefacts: ArtefactSpec[] = [];
  const checksumFiles: ChecksumSpec[] = [];
  for (const arch of arches) {
    for (const bin of KUBERNETES_BINARIES) {
      const path = `v${v}/bin/linux/${arch}/${bin}`;
      const real: Source =
        bin === 'kubectl'
          ? { kind: 'kubectl' }
          : { kind: 'standin', name: bin, version: v, ...(pad ? { padToBytes: REAL_BINARY_BYTES[bin] } : {}) };
      artefacts.push({ component: 'kubernetes', path, type: 'file', source: binarySource(arch, bin, real) });
      checksumFiles.push({ component: 'kubernetes', path: `${path}.sha256`, style: 'hex', covers: [path] });
    }
  }
  return { artefacts, checksumFiles };
}

const ETCDUTL_STANDIN = (v: string) => `#!/bin/sh
# etcdutl stand-in from the kubeup test release mirror: Debian ships no etcdutl binary.
case "$1" in
  version|--version) echo "etcdutl version: ${v}"; echo "API version: ${v.split('.').slice(0, 2).join('.')}"; exit 0 ;;
esac
echo "etcdutl: stand-in from the kubeup test mirror; only 'etcdutl version' works here" >&2
exit 1
`;

function etcd(v: string, arches: Arch[]): MirrorLayout {
  const artefacts: ArtefactSpec[] = arches.map((arch) => {
    const dir = `etcd-v${v}-linux-${arch}`;
    return {
      component: 'etcd',
      path: `v${v}/${dir}.tar.gz`,
      type: 'tarball',
      members: [
        { name: `${dir}/`, mode: DIR },
        { name: `${dir}/README.md`, mode: DOC, source: { kind: 'text', content: `# etcd v${v} (kubeup test mirror)\n\netcd and etcdctl are Debian's real binaries; etcdutl is a stand-in script.\n` } },
        { name: `${dir}/etcd`, mode: BINARY, source: binarySource(arch, 'etcd', { kind: 'debian', binary: 'etcd' }) },
        { name: `${dir}/etcdctl`, mode: BINARY, source: binarySource(arch, 'etcdctl', { kind: 'debian', binary: 'etcdctl' }) },
        { name: `${dir}/etcdutl`, mode: BINARY, source: { kind: 'text', content: ETCDUTL_STANDIN(v) } },
      ],
    };
  });
  return {
    artefacts,
    checksumFiles: [{ component: 'etcd', path: `v${v}/SHA256SUMS`, style: 'sums', covers: artefacts.map((a) => a.path) }],
  };
}

// Same job as upstream's script: turn /run/flannel/subnet.env into docker daemon options.
const MK_DOCKER_OPTS = `#!/bin/sh
# mk-docker-opts.sh from the kubeup test release mirror: writes docker options from flannel's subnet.env.
set -e
subnet_env=/run/flannel/subnet.env
out=/run/docker_opts.env
while getopts "f:d:" opt; do
  case "$opt" in
    f) subnet_env="$OPTARG" ;;
    d) out="$OPTARG" ;;
    *) echo "usage: $0 [-f subnet.env] [-d output file]" >&2; exit 2 ;;
  esac
done
. "$subnet_env"
echo "DOCKER_OPTS=\\" --bip=$FLANNEL_SUBNET --mtu=$FLANNEL_MTU\\"" > "$out"
`;

// Upstream's release (flannel-io/flannel Makefile `release`/`tar.gz` targets) has, per arch, the bare
// `flanneld-<arch>` binary and `flannel-v<F>-linux-<arch>.tar.gz` (flanneld, mk-docker-opts.sh, README.md), with the
// same flanneld in both; kubeup downloads the bare one.
function flannel(v: string, arches: Arch[]): MirrorLayout {
  return {
    artefacts: arches.flatMap((arch): ArtefactSpec[] => {
      const flanneld = binarySource(arch, 'flanneld', { kind: 'standin', name: 'flanneld', version: v });
      return [
        { component: 'flannel', path: `v${v}/flanneld-${arch}`, type: 'file', source: flanneld },
        {
          component: 'flannel',
          path: `v${v}/flannel-v${v}-linux-${arch}.tar.gz`,
          type: 'tarball',
          members: [
            { name: 'flanneld', mode: BINARY, source: flanneld },
            { name: 'mk-docker-opts.sh', mode: BINARY, source: { kind: 'text', content: MK_DOCKER_OPTS } },
            { name: 'README.md', mode: DOC, source: { kind: 'text', content: `# flannel v${v} (kubeup test mirror)\n\nflanneld here is a stand-in.\n` } },
          ],
        },
      ];
    }),
    // Upstream flannel publishes no checksum file: Mirror.checksums has the sha256 of each file instead.
    checksumFiles: [],
  };
}

function flannelCniPlugin(v: string, arches: Arch[]): MirrorLayout {
  const artefacts: ArtefactSpec[] = arches.map((arch) => ({
    component: 'flannelCniPlugin',
    path: `v${v}/cni-plugin-flannel-linux-${arch}-v${v}.tgz`,
    type: 'tarball',
    members: [{ name: `flannel-${arch}`, mode: BINARY, source: binarySource(arch, `flannel-${arch}`, { kind: 'standin', name: 'cni-plugin', version: v }) }],
  }));
  return {
    artefacts,
    checksumFiles: artefacts.map((a) => ({ component: 'flannelCniPlugin', path: `${a.path}.sha256`, style: 'sums', covers: [a.path] })),
  };
}

function containerd(v: string, arches: Arch[]): MirrorLayout {
  const artefacts: ArtefactSpec[] = arches.map((arch) => ({
    component: 'containerd',
    path: `v${v}/containerd-${v}-linux-${arch}.tar.gz`,
    type: 'tarball',
    members: [
      { name: 'bin/', mode: DIR },
      ...(['containerd', 'containerd-shim-runc-v2', 'ctr'] as const).map((b) => ({
        name: `bin/${b}`,
        mode: BINARY,
        source: binarySource(arch, b, { kind: 'debian', binary: b }),
      })),
    ],
  }));
  return {
    artefacts,
    checksumFiles: artefacts.map((a) => ({ component: 'containerd', path: `${a.path}.sha256sum`, style: 'sums', covers: [a.path] })),
  };
}

function runc(v: string, arches: Arch[]): MirrorLayout {
  const artefacts: ArtefactSpec[] = arches.map((arch) => ({
    component: 'runc',
    path: `v${v}/runc.${arch}`,
    type: 'file',
    source: binarySource(arch, 'runc', { kind: 'debian', binary: 'runc' }),
  }));
  return {
    artefacts,
    checksumFiles: [{ component: 'runc', path: `v${v}/runc.sha256sum`, style: 'sums', covers: artefacts.map((a) => a.path) }],
  };
}

function cniPlugins(v: string, arches: Arch[]): MirrorLayout {
  const artefacts: ArtefactSpec[] = arches.map((arch) => ({
    component: 'cniPlugins',
    path: `v${v}/cni-plugins-linux-${arch}-v${v}.tgz`,
    type: 'tarball',
    members: [
      { name: './', mode: DIR },
      ...CNI_PLUGIN_NAMES.map((p) => ({
        name: `./${p}`,
        mode: BINARY,
        source: binarySource(arch, p, { kind: 'standin', name: 'cni-plugin', version: v }),
      })),
      { name: './LICENSE', mode: DOC, source: { kind: 'text', content: 'Apache License 2.0 (kubeup test mirror: these plugins are stand-ins)\n' } },
      { name: './README.md', mode: DOC, source: { kind: 'text', content: `# CNI plugins v${v} (kubeup test mirror)\n\nEvery plugin here is the one CNI stand-in; it answers VERSION only.\n` } },
    ],
  }));
  return {
    artefacts,
    checksumFiles: artefacts.map((a) => ({ component: 'cniPlugins', path: `${a.path}.sha256`, style: 'sums', covers: [a.path] })),
  };
}

/**
 * The Kubernetes releases served: the profile's one first, then the others (upgrade tests move a cluster between
 * them), without repeats.
 */
export function servedKubernetes(versions: Versions, extraKubernetes: readonly string[] = []): string[] {
  return [...new Set([versions.kubernetes, ...extraKubernetes])];
}

/** Everything the mirror serves for these versions and arches, sorted by component then path. */
export function mirrorLayout(versions: Versions, arches: readonly Arch[], pad: boolean, extraKubernetes: readonly string[] = []): MirrorLayout {
  const a = [...new Set(arches)].sort();
  const parts = [
    ...servedKubernetes(versions, extraKubernetes).map((k) => kubernetes(k, a, pad)),
    etcd(versions.etcd, a),
    flannel(versions.flannel, a),
    flannelCniPlugin(versions.flannelCniPlugin, a),
    containerd(versions.containerd, a),
    runc(versions.runc, a),
    cniPlugins(versions.cniPlugins, a),
  ];
  return {
    artefacts: parts.flatMap((p) => p.artefacts),
    checksumFiles: parts.flatMap((p) => p.checksumFiles),
  };
}

/** The text of a checksum file, given the sha256 of each artefact it covers. */
export function checksumFileText(spec: ChecksumSpec, sha256Of: (path: string) => string): string {
  if (spec.style === 'hex') {
    const only = spec.covers[0];
    if (only === undefined || spec.covers.length !== 1) throw new Error(`checksum file ${spec.path} must cover exactly one file`);
    return sha256Of(only);
  }
  return spec.covers.map((p) => `${sha256Of(p)}  ${baseName(p)}\n`).join('');
}

export { baseName };
