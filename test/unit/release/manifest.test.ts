import { describe, expect, it } from 'vitest';
import { DEFAULT_VERSIONS } from '../../../src/profile/defaults.js';
import { archFromUname, localArch } from '../../../src/release/arch.js';
import { artifactsForRoles, describeManifest, releaseManifest } from '../../../src/release/manifest.js';
import { PINNED_CHECKSUMS, pinnedVersions } from '../../../src/release/pinned-checksums.js';
import { testProfile } from './fixture-server.js';

const V = DEFAULT_VERSIONS;

describe('releaseManifest', () => {
  it('lists every upstream URL, checksum source, member and install path for amd64', () => {
    const rows = releaseManifest(testProfile({}), ['amd64']).map((a) => ({
      id: a.id,
      url: a.url,
      checksum: a.checksum.kind === 'file' ? `${a.checksum.format} ${a.checksum.url}` : a.checksum.kind,
      binaries: a.binaries.map((b) => `${b.member ?? '-'} -> ${b.installAs}`),
      roles: a.roles,
    }));
    expect(rows).toEqual([
      {
        id: `cniPlugins/amd64/cni-plugins-linux-amd64-v${V.cniPlugins}.tgz`,
        url: `https://github.com/containernetworking/plugins/releases/download/v${V.cniPlugins}/cni-plugins-linux-amd64-v${V.cniPlugins}.tgz`,
        checksum: `sums https://github.com/containernetworking/plugins/releases/download/v${V.cniPlugins}/cni-plugins-linux-amd64-v${V.cniPlugins}.tgz.sha256`,
        binaries: ['./bridge -> /opt/cni/bin/bridge', './host-local -> /opt/cni/bin/host-local', './loopback -> /opt/cni/bin/loopback', './portmap -> /opt/cni/bin/portmap'],
        roles: ['worker'],
      },
      {
        id: `containerd/amd64/containerd-${V.containerd}-linux-amd64.tar.gz`,
        url: `https://github.com/containerd/containerd/releases/download/v${V.containerd}/containerd-${V.containerd}-linux-amd64.tar.gz`,
        checksum: `sums https://github.com/containerd/containerd/releases/download/v${V.containerd}/containerd-${V.containerd}-linux-amd64.tar.gz.sha256sum`,
        binaries: ['bin/containerd -> /opt/bin/containerd', 'bin/containerd-shim-runc-v2 -> /opt/bin/containerd-shim-runc-v2', 'bin/ctr -> /opt/bin/ctr'],
        roles: ['worker'],
      },
      {
        id: `etcd/amd64/etcd-v${V.etcd}-linux-amd64.tar.gz`,
        url: `https://github.com/etcd-io/etcd/releases/download/v${V.etcd}/etcd-v${V.etcd}-linux-amd64.tar.gz`,
        checksum: `sums https://github.com/etcd-io/etcd/releases/download/v${V.etcd}/SHA256SUMS`,
        binaries: [`etcd-v${V.etcd}-linux-amd64/etcd -> /opt/bin/etcd`, `etcd-v${V.etcd}-linux-amd64/etcdctl -> /opt/bin/etcdctl`],
        roles: ['master'],
      },
      {
        id: 'flannel/amd64/flanneld-amd64',
        url: `https://github.com/flannel-io/flannel/releases/download/v${V.flannel}/flanneld-amd64`,
        checksum: 'pinned',
        binaries: ['- -> /opt/bin/flanneld'],
        roles: ['worker'],
      },
      {
        id: `flannelCniPlugin/amd64/cni-plugin-flannel-linux-amd64-v${V.flannelCniPlugin}.tgz`,
        url: `https://github.com/flannel-io/cni-plugin/releases/download/v${V.flannelCniPlugin}/cni-plugin-flannel-linux-amd64-v${V.flannelCniPlugin}.tgz`,
        checksum: `sums https://github.com/flannel-io/cni-plugin/releases/download/v${V.flannelCniPlugin}/cni-plugin-flannel-linux-amd64-v${V.flannelCniPlugin}.tgz.sha256`,
        binaries: ['flannel-amd64 -> /opt/cni/bin/flannel'],
        roles: ['worker'],
      },
      ...(
        [
          ['kube-apiserver', 'master'],
          ['kube-controller-manager', 'master'],
          ['kube-proxy', 'worker'],
          ['kube-scheduler', 'master'],
          ['kubectl', 'local'],
          ['kubelet', 'worker'],
        ] as const
      ).map(([b, role]) => ({
        id: `kubernetes/amd64/${b}`,
        url: `https://dl.k8s.io/release/v${V.kubernetes}/bin/linux/amd64/${b}`,
        checksum: `hex https://dl.k8s.io/release/v${V.kubernetes}/bin/linux/amd64/${b}.sha256`,
        binaries: [`- -> /opt/bin/${b}`],
        roles: [role],
      })),
      {
        id: 'runc/amd64/runc.amd64',
        url: `https://github.com/opencontainers/runc/releases/download/v${V.runc}/runc.amd64`,
        checksum: `sums https://github.com/opencontainers/runc/releases/download/v${V.runc}/runc.sha256sum`,
        binaries: ['- -> /opt/bin/runc'],
        roles: ['worker'],
      },
    ]);
  });

  it('replaces each base by its mirror (trailing slashes ignored) and keeps the upstream paths', () => {
    const m = releaseManifest(testProfile({ kubernetes: 'http://mirror.test/k8s/', runc: 'https://m.test/runc' }), ['arm64']);
    expect(m.find((a) => a.id === 'kubernetes/arm64/kubelet')!.url).toBe(`http://mirror.test/k8s/v${V.kubernetes}/bin/linux/arm64/kubelet`);
    const runc = m.find((a) => a.component === 'runc')!;
    expect(runc.url).toBe(`https://m.test/runc/v${V.runc}/runc.arm64`);
    expect(runc.checksum).toEqual({ kind: 'file', url: `https://m.test/runc/v${V.runc}/runc.sha256sum`, format: 'sums' });
    expect(m.find((a) => a.component === 'etcd')!.url).toContain('https://github.com/etcd-io/etcd/releases/download/');
  });

  it('is sorted by id, one entry per arch, and the same for the same input', () => {
    const p = testProfile({});
    const m = releaseManifest(p, ['arm64', 'amd64', 'arm64']);
    expect(m.length).toBe(24);
    expect(m.map((a) => a.id)).toEqual(m.map((a) => a.id).sort());
    expect(new Set(m.map((a) => a.id)).size).toBe(m.length);
    expect(JSON.stringify(releaseManifest(p, ['amd64', 'arm64']))).toBe(JSON.stringify(m));
  });

  it('takes a checksum from download.checksums before any other source', () => {
    const file = `runc.amd64`;
    const sum = 'AB'.repeat(32);
    const m = releaseManifest(testProfile({}, { checksums: { [file]: sum } }), ['amd64']);
    expect(m.find((a) => a.component === 'runc')!.checksum).toEqual({
      kind: 'pinned',
      sha256: sum.toLowerCase(),
      source: `profile download.checksums["${file}"]`,
    });
  });

  it('uses the shipped pinned table for flannel, keyed by version and file', () => {
    const key = `flannel/v${V.flannel}/flanneld-arm64`;
    const m = releaseManifest(testProfile({}), ['arm64'], { pinned: { [key]: { sha256: 'c'.repeat(64), source: 'example/repo:path' } } });
    expect(m.find((a) => a.component === 'flannel')!.checksum).toEqual({ kind: 'pinned', sha256: 'c'.repeat(64), source: 'example/repo:path' });
    const other = releaseManifest({ ...testProfile({}), versions: { ...V, flannel: '0.27.3' } }, ['arm64'], { pinned: { [key]: { sha256: 'c'.repeat(64), source: 'x' } } });
    expect(other.find((a) => a.component === 'flannel')!.checksum).toEqual({ kind: 'missing' });
  });

  it('pins the default flannel for every arch with the shipped table, and names its public source', () => {
    for (const arch of ['amd64', 'arm64'] as const) {
      const flannel = releaseManifest(testProfile({}), [arch]).find((a) => a.component === 'flannel')!;
      const pin = PINNED_CHECKSUMS[`flannel/v${V.flannel}/flanneld-${arch}`];
      expect(pin).toBeDefined();
      expect(flannel.checksum).toEqual({ kind: 'pinned', sha256: pin!.sha256, source: pin!.source });
      expect(pin!.source).toMatch(/^sysoperator\/kubernetes-formula pillar\/flannel\.sls \(commit [0-9a-f]{40}, source_version v0\.27\.4\)$/);
    }
    expect(PINNED_CHECKSUMS['flannel/v0.27.4/flanneld-amd64']!.sha256).toBe('fc1233aac3ad2707d14c9ae42016b5402753f755f0d07cc5c41dc4190e95d299');
    expect(PINNED_CHECKSUMS['flannel/v0.27.4/flanneld-arm64']!.sha256).toBe('aa4f59bff09603ad10634c5a930afa57631dd99d8da0b7baeaadc655f00831b7');
    expect(pinnedVersions('flannel')).toEqual(['0.27.4', '0.27.3', '0.26.3', '0.25.0']);
    expect(Object.values(PINNED_CHECKSUMS).every((p) => /^[0-9a-f]{64}$/.test(p.sha256) && p.source.length > 0)).toBe(true);
  });
});

describe('artifactsForRoles', () => {
  it('gives a master the control-plane binaries and a worker the node binaries', () => {
    const m = releaseManifest(testProfile({}), ['amd64', 'arm64']);
    const names = (roles: Parameters<typeof artifactsForRoles>[1]) =>
      artifactsForRoles(m, roles, 'arm64').flatMap((a) => a.binaries.map((b) => b.name)).sort();
    expect(names(['master'])).toEqual(['etcd', 'etcdctl', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']);
    expect(names(['worker'])).toEqual([
      'bridge', 'containerd', 'containerd-shim-runc-v2', 'ctr', 'flannel', 'flanneld', 'host-local', 'kube-proxy', 'kubelet', 'loopback', 'portmap', 'runc',
    ]);
    expect(names(['local'])).toEqual(['kubectl']);
    expect(artifactsForRoles(m, ['master', 'worker'], 'arm64').every((a) => a.arch === 'arm64')).toBe(true);
  });
});

describe('describeManifest', () => {
  it('prints one line per artefact with where its sha256 comes from', () => {
    const file = 'flanneld-amd64';
    const unpinned = { ...testProfile({}), versions: { ...V, flannel: '0.28.9' } };
    const lines = describeManifest(releaseManifest(unpinned, ['amd64']));
    expect(lines.length).toBe(12);
    expect(lines.find((l) => l.startsWith('flannel/'))).toBe(
      `flannel/amd64/${file}  https://github.com/flannel-io/flannel/releases/download/v0.28.9/${file}  sha256 UNKNOWN: add it to download.checksums`,
    );
    const pinned = describeManifest(releaseManifest({ ...unpinned, download: { mirrors: {}, checksums: { [file]: 'd'.repeat(64) } } }, ['amd64']));
    expect(pinned.find((l) => l.startsWith('flannel/'))).toContain(`sha256 ${'d'.repeat(64)} (profile download.checksums["${file}"])`);
    const shipped = describeManifest(releaseManifest(testProfile({}), ['amd64']));
    expect(shipped.find((l) => l.startsWith('flannel/'))).toContain(`sha256 ${PINNED_CHECKSUMS[`flannel/v${V.flannel}/${file}`]!.sha256} (sysoperator/kubernetes-formula`);
    expect(lines.find((l) => l.startsWith('runc/'))).toContain(`sha256 from https://github.com/opencontainers/runc/releases/download/v${V.runc}/runc.sha256sum`);
  });
});

describe('arch names', () => {
  it('maps uname -m and Node names to release arches', () => {
    expect(archFromUname('x86_64\n')).toBe('amd64');
    expect(archFromUname('aarch64')).toBe('arm64');
    expect(archFromUname('armv7l')).toBeUndefined();
    expect(archFromUname('constructor')).toBeUndefined();
    expect(localArch('x64')).toBe('amd64');
    expect(localArch('arm64')).toBe('arm64');
    expect(localArch('ia32')).toBeUndefined();
  });
});
