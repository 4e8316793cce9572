// formatPlan: the --dry-run text. Numbered phases in run order, each with where it runs and what it touches.
// Derived from the same Plan a real run executes, so the two cannot drift apart.
import { objectLabel, planAddons } from '../addons/index.js';
import type { Component } from '../profile/types.js';
import { renderRbacObjects } from '../render/rbac.js';
import type { BinaryPlan, CertificatePlan, HostPlan, PhasePlan, Plan } from './types.js';

/** Release names as upstream spells them. */
const COMPONENT_LABELS: Record<Component, string> = {
  kubernetes: 'kubernetes',
  etcd: 'etcd',
  flannel: 'flannel',
  flannelCniPlugin: 'flannel-cni-plugin',
  containerd: 'containerd',
  runc: 'runc',
  cniPlugins: 'cni-plugins',
};
const componentLabel = (c: Component) => COMPONENT_LABELS[c];

const octal = (mode: number) => mode.toString(8).padStart(4, '0');
const hostLabel = (h: HostPlan) => `${h.id} (node ${h.nodeName})`;

function hostsLines(plan: Plan): string[] {
  const rows = plan.hosts.map((h) => [h.id, `node ${h.nodeName}`, `roles ${h.roles.join(',')}`, h.arch, `ssh ${h.spec.user}@${h.id}`]);
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map((r) => `  ${r.map((cell, col) => cell.padEnd(widths[col]!)).join('  ')}`.trimEnd());
}

function certificateFiles(c: CertificatePlan): { path: string; mode: number }[] {
  return [
    ...(c.cert ? [{ path: c.cert, mode: 0o644 }] : []),
    ...(c.publicKey ? [{ path: c.publicKey, mode: 0o644 }] : []),
    ...(c.key ? [{ path: c.key, mode: 0o600 }] : []),
  ];
}

function downloads(plan: Plan): string[] {
  const byArch = new Map<string, Map<string, BinaryPlan[]>>();
  for (const h of plan.hosts) {
    const releases = byArch.get(h.arch) ?? new Map<string, BinaryPlan[]>();
    byArch.set(h.arch, releases);
    for (const b of h.binaries) {
      const key = `${componentLabel(b.component)} ${b.version}`;
      const list = releases.get(key) ?? [];
      if (!list.some((x) => x.name === b.name)) list.push(b);
      releases.set(key, list);
    }
  }
  const lines: string[] = [];
  for (const arch of [...byArch.keys()].sort()) {
    lines.push(`   ${arch}:`);
    const releases = byArch.get(arch)!;
    for (const key of [...releases.keys()].sort()) {
      const names = releases.get(key)!.map((b) => b.name).sort();
      lines.push(`     ${key}: ${names.join(', ')}`);
    }
  }
  return lines;
}

function provision(h: HostPlan): string[] {
  const files = [
    ...h.binaries.map((b) => ({ path: b.path, mode: b.mode, note: `${componentLabel(b.component)} ${b.version}` })),
    ...h.certificates.flatMap((c) => certificateFiles(c).map((f) => ({ ...f, note: `certificate ${c.identity}` }))),
    ...h.files.map((f) => ({ path: f.path, mode: f.mode, note: f.restarts.length ? `restarts ${f.restarts.join(', ')}` : '' })),
  ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const width = Math.max(...files.map((f) => f.path.length));
  return [
    `   ${hostLabel(h)}`,
    ...files.map((f) => `     ${octal(f.mode)} ${f.path.padEnd(width)}${f.note ? `  ${f.note}` : ''}`.trimEnd()),
    `     start: ${h.units.join(', ')}`,
  ];
}

function phaseBody(plan: Plan, phase: PhasePlan): string[] {
  const hosts = plan.hosts.filter((h) => phase.hosts.includes(h.id));
  switch (phase.id) {
    case 'preflight':
      return hosts.map((h) => `   ${h.id}: connect over SSH, check OS, ${h.arch}, systemd, swap, ports, clock`);
    case 'download':
      return downloads(plan);
    case 'certificates':
      return [
        '   CA: kept on this machine, its key never leaves it',
        ...hosts.map((h) => `   ${h.id}: ${h.certificates.map((c) => c.identity).join(', ')}`),
      ];
    case 'provision':
      return hosts.flatMap(provision);
    case 'rbac':
      return renderRbacObjects().map((o) => `   ${o.kind} ${o.metadata.name}${o.subjects ? ` -> user ${o.subjects.map((x) => x.name).join(', ')}` : ''}`);
    case 'verify':
      return hosts.map((h) => `   ${h.id}: systemctl is-active ${h.units.join(' ')}`);
    case 'addons':
      return addonLines(plan);
    case 'kubeconfig':
      return [`   context ${plan.cluster.name}: server ${plan.cluster.apiServer.url}, admin client certificate`];
    case 'validate': {
      const nodes = plan.hosts.filter((h) => h.roles.includes('worker')).map((h) => h.nodeName);
      const dns = plan.cluster.addons.dns;
      return [
        `   ${plan.cluster.apiServer.url}: /readyz ok; ${nodes.length} node(s) Ready: ${nodes.join(', ')}`,
        ...(dns ? [`   CoreDNS: ${dns.replicas} of ${dns.replicas} replicas available (a warning, with the reason, when they are not)`] : []),
      ];
    }
  }
}

function addonLines(plan: Plan): string[] {
  const dns = plan.cluster.addons.dns;
  if (!dns) return ['   none (addons.dns.enabled is false); CoreDNS objects kubeup applied before are deleted'];
  const upstream = dns.upstreamResolvers.length ? dns.upstreamResolvers.join(', ') : "each node's /etc/resolv.conf";
  return [
    `   CoreDNS ${dns.version}: image ${dns.image}, ${dns.replicas} replica${dns.replicas === 1 ? '' : 's'}, Service kube-dns at ${dns.clusterDns}, domain ${dns.dnsDomain}, upstream ${upstream}`,
    '   server-side apply (field manager kubeup, fieldValidation=Strict), in this order:',
    ...planAddons(plan.cluster.addons).flatMap((a) => a.objects.map((o) => `     ${objectLabel(o)}`)),
  ];
}

function where(plan: Plan, phase: PhasePlan): string {
  switch (phase.runsOn) {
    case 'local':
      return 'on this machine';
    case 'api':
      return `through the API of ${plan.cluster.master.id}`;
    case 'hosts':
      return `on ${phase.hosts.length} host${phase.hosts.length === 1 ? '' : 's'}`;
  }
}

export function formatPlan(plan: Plan): string {
  const c = plan.cluster;
  const v = c.versions;
  const lines = [
    `Plan for profile ${plan.profile}`,
    `  Kubernetes ${v.kubernetes}, etcd ${v.etcd}, flannel ${v.flannel} (CNI plugin ${v.flannelCniPlugin}), containerd ${v.containerd}, runc ${v.runc}, CNI plugins ${v.cniPlugins}`,
    `  API server ${c.apiServer.url} on ${c.master.id} (node ${c.master.nodeName})`,
    `  services ${c.serviceCidr} (kubernetes ${c.kubernetesServiceIp}, DNS ${c.clusterDns}, domain ${c.dnsDomain}), node ports ${c.nodePortRange}`,
    `  pods ${c.podCidr} (flannel ${c.flannelBackend})`,
    '',
    'Hosts (profile order):',
    ...hostsLines(plan),
  ];
  plan.phases.forEach((phase, i) => {
    lines.push('', `${i + 1}. ${phase.id}: ${phase.title}, ${where(plan, phase)}`, ...phaseBody(plan, phase));
  });
  return `${lines.join('\n')}\n`;
}
