// A profile from kube-up's environment variables (cluster/ubuntu/config-default.sh). Values that kube-up allowed but
// today's Kubernetes cannot use (etcd 2, flannel 0.5, Kubernetes 1.2) are reported; they are replaced by supported
// versions only with the user's consent, never silently.
import semver from 'semver';
import { ProfileError, type ProfileIssue } from '../errors.js';
import { DEFAULT_VERSIONS, MIN_ETCD, MIN_FLANNEL, SUPPORTED_KUBERNETES_MINORS } from './defaults.js';
import { parseRoles } from './schema.js';
import { readShellAssignments } from './shell-assignments.js';
import type { Versions } from './types.js';

export const KUBE_UP_VARIABLES = [
  'nodes',
  'roles',
  'role',
  'NUM_NODES',
  'KUBE_VERSION',
  'ETCD_VERSION',
  'FLANNEL_VERSION',
  'SERVICE_CLUSTER_IP_RANGE',
  'FLANNEL_NET',
  'DNS_SERVER_IP',
  'DNS_DOMAIN',
  'SERVICE_NODE_PORT_RANGE',
  'PROXY_SETTING',
  'KUBE_PROXY_EXTRA_OPTS',
] as const;

export interface OutdatedVersion {
  variable: string;
  field: `versions.${keyof Versions}`;
  found: string;
  replacement: string;
  reason: string;
}

export interface KubeUpImport {
  /** A profile input (not yet validated: the caller runs validateProfile on it). */
  input: Record<string, unknown>;
  outdated: OutdatedVersion[];
}

/**
 * The variables a kube-up config file sets, over the environment (which wins where the file writes
 * `${VAR:-default}`, as in the shell). The file is read, never run: a line kubeup cannot read is an issue with its
 * line number when it sets one of kube-up's variables, and a warning otherwise.
 */
export function readKubeUpConfig(text: string, file: string, env: Readonly<Record<string, string | undefined>>): { vars: Record<string, string>; warnings: string[] } {
  const { vars, unreadable } = readShellAssignments(text, env);
  const issues: ProfileIssue[] = [];
  const warnings: string[] = [];
  for (const u of unreadable) {
    const what = `${file}:${u.line}: ${u.reason}`;
    if (u.variable !== undefined && (KUBE_UP_VARIABLES as readonly string[]).includes(u.variable)) {
      issues.push({ path: `${file}:${u.line}`, message: `${u.variable} is set by a line kubeup cannot read (${u.reason}): ${u.text}`, hint: `write it as ${u.variable}="value" or ${u.variable}=\${${u.variable}:-"value"}, or set ${u.variable} in the environment` });
    } else {
      warnings.push(`${what}; skipped (kubeup reads assignments only and runs nothing): ${u.text}`);
    }
  }
  if (issues.length) {
    throw new ProfileError(`${file} sets kube-up variables in a way kubeup cannot read`, issues, { file, hint: 'kubeup reads the file without running it' });
  }
  return { vars, warnings };
}

function outdated(variable: string, field: keyof Versions, found: string): OutdatedVersion | undefined {
  const v = semver.coerce(found)?.version;
  if (!v) return undefined; // malformed: left for the validator to report at the field
  const to = DEFAULT_VERSIONS[field];
  if (field === 'kubernetes') {
    const minor = `${semver.major(v)}.${semver.minor(v)}`;
    if ((SUPPORTED_KUBERNETES_MINORS as readonly string[]).includes(minor)) return undefined;
    return { variable, field: `versions.${field}`, found, replacement: to, reason: `kubeup supports Kubernetes ${SUPPORTED_KUBERNETES_MINORS.join(' and ')}` };
  }
  const min = field === 'etcd' ? MIN_ETCD : MIN_FLANNEL;
  if (semver.gte(v, min)) return undefined;
  return {
    variable,
    field: `versions.${field}`,
    found,
    replacement: to,
    reason: field === 'etcd' ? 'etcd 2 cannot serve a current Kubernetes (it needs the etcd v3 API)' : 'flannel before 0.22 lacks the Kubernetes subnet manager kubeup uses',
  };
}

export function importKubeUpEnv(env: Record<string, string | undefined>, name: string): KubeUpImport {
  const issues: ProfileIssue[] = [];
  const nodes = (env.nodes ?? '').trim().split(/\s+/).filter(Boolean);
  const rolesVar = env.roles !== undefined ? 'roles' : 'role';
  const roles = (env.roles ?? env.role ?? '').trim().split(/\s+/).filter(Boolean);
  if (nodes.length === 0) {
    issues.push({ path: 'nodes', message: 'is not set', hint: 'e.g. nodes="root@192.168.4.218 root@192.168.4.217"' });
  }
  if (roles.length === 0) {
    issues.push({ path: 'roles', message: 'is not set', hint: 'one role per node: a (master), i (node) or ai (both), e.g. roles="ai i"' });
  } else if (nodes.length && roles.length !== nodes.length) {
    issues.push({ path: rolesVar, message: `has ${roles.length} entries but nodes has ${nodes.length}`, hint: 'give exactly one role per node, in the same order' });
  }
  const hosts = nodes.map((node, i) => {
    const at = node.lastIndexOf('@');
    const user = at > 0 ? node.slice(0, at) : undefined;
    const address = at >= 0 ? node.slice(at + 1) : node;
    const role = roles[i];
    if (role !== undefined && !parseRoles(role)) {
      issues.push({ path: `${rolesVar}[${i}]`, message: `"${role}" is not a kube-up role`, hint: 'use a, i or ai' });
    }
    return { address, ...(user && { user }), roles: role ?? [] };
  });
  if (env.NUM_NODES !== undefined && env.NUM_NODES.trim() !== '') {
    const want = Number(env.NUM_NODES);
    const workers = roles.filter((r) => parseRoles(r)?.includes('worker')).length;
    if (!Number.isInteger(want) || want < 0) {
      issues.push({ path: 'NUM_NODES', message: `"${env.NUM_NODES}" is not a number`, hint: 'the number of hosts with role i or ai' });
    } else if (roles.length && want !== workers) {
      issues.push({
        path: 'NUM_NODES',
        message: `is ${want} but ${rolesVar}="${roles.join(' ')}" has ${workers} node${workers === 1 ? '' : 's'} (i or ai)`,
        hint: `set NUM_NODES=${workers} or change ${rolesVar}`,
      });
    }
  }
  if (issues.length) {
    throw new ProfileError('the kube-up variables do not describe a cluster', issues, {
      hint: 'fix the variables (see `kubeup profiles import-env --help`), then run the import again',
    });
  }

  const versions: Record<string, string> = {};
  const old: OutdatedVersion[] = [];
  for (const [variable, field] of [
    ['KUBE_VERSION', 'kubernetes'],
    ['ETCD_VERSION', 'etcd'],
    ['FLANNEL_VERSION', 'flannel'],
  ] as const) {
    const found = env[variable]?.trim();
    if (!found) continue;
    versions[field] = found;
    const o = outdated(variable, field, found);
    if (o) old.push(o);
  }
  const network: Record<string, string> = {};
  for (const [variable, field] of [
    ['SERVICE_CLUSTER_IP_RANGE', 'serviceCidr'],
    ['FLANNEL_NET', 'podCidr'],
    ['DNS_SERVER_IP', 'clusterDns'],
    ['DNS_DOMAIN', 'dnsDomain'],
    ['SERVICE_NODE_PORT_RANGE', 'nodePortRange'],
  ] as const) {
    const v = env[variable]?.trim();
    if (v) network[field] = v;
  }
  // kube-up's PROXY_SETTING is a list of shell assignments ("http_proxy=... https_proxy=..."); kubeup downloads on the
  // operator's machine, so the proxy applies to its downloads.
  const proxy = /(?:^|\s)(?:https_proxy|HTTPS_PROXY|http_proxy|HTTP_PROXY)=["']?([^\s"']+)/.exec(env.PROXY_SETTING ?? '')?.[1];
  // KUBE_PROXY_EXTRA_OPTS: extra kube-proxy flags, the one kube-up option that still means something today.
  const proxyOpts = (env.KUBE_PROXY_EXTRA_OPTS ?? '').trim().split(/\s+/).filter(Boolean);
  return {
    input: {
      name,
      hosts,
      ...(proxyOpts.length && { extraArgs: { 'kube-proxy': proxyOpts } }),
      ...(Object.keys(versions).length && { versions }),
      ...(Object.keys(network).length && { network }),
      ...(proxy && { download: { proxy } }),
    },
    outdated: old,
  };
}

/** The import with the outdated versions replaced (the caller has the user's consent). */
export function withReplacements(imp: KubeUpImport): Record<string, unknown> {
  const versions = { ...(imp.input.versions as Record<string, string> | undefined) };
  for (const o of imp.outdated) versions[o.field.slice('versions.'.length)] = o.replacement;
  return { ...imp.input, versions };
}

export function describeOutdated(o: OutdatedVersion): string {
  return `${o.variable}=${o.found} (${o.field}): ${o.reason}; would use ${o.replacement}`;
}
