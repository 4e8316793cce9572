/**
 * Audit logging as kube-apiserver does it with --audit-policy-file and the log backend
 * (k8s.io/apiserver/pkg/server/options/audit.go; the audit.k8s.io/v1 Policy and its checks in
 * k8s.io/apiserver/pkg/apis/audit/validation/validation.go; rule matching in k8s.io/apiserver/pkg/audit/policy/
 * checker.go; events as k8s.io/apiserver/pkg/apis/audit/v1 Event, one JSON object per line).
 * Implemented: levels None and Metadata, every rule selector, omitStages, stages RequestReceived and
 * ResponseComplete, --audit-log-maxsize/maxbackup rotation. Refused (the stand-in would not log what it claims):
 * levels Request and RequestResponse, webhook and batch backends, other log formats, compression, truncation.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { StandinExit } from '../errors.js';
import type { ParsedFlags } from '../flags.js';
import { klog } from '../klog.js';
import { goOpenError } from '../pki.js';
import { microTime } from '../time.js';
import { parseYamlStrict } from '../yaml.js';
import type { RequestInfo } from './request-info.js';

const LEVELS = ['None', 'Metadata', 'Request', 'RequestResponse'];
const STAGES = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'];
const RULE_FIELDS = ['level', 'users', 'userGroups', 'verbs', 'resources', 'namespaces', 'nonResourceURLs', 'omitStages', 'omitManagedFields'];

interface GroupResources {
  group: string;
  resources: string[];
  resourceNames: string[];
}

interface Rule {
  level: string;
  users: string[];
  userGroups: string[];
  verbs: string[];
  resources: GroupResources[];
  namespaces: string[];
  nonResourceURLs: string[];
  omitStages: string[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

function parsePolicy(path: string): { rules: Rule[]; omitStages: string[] } {
  const bad = (msg: string): never => {
    throw new StandinExit(`loading audit policy file: failed decoding file "${path}": ${msg}`);
  };
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    bad(goOpenError(path, err));
  }
  let doc: unknown;
  try {
    doc = parseYamlStrict(text, path);
  } catch (err) {
    bad((err as Error).message);
  }
  if (!isObj(doc) || doc.kind !== 'Policy' || doc.apiVersion !== 'audit.k8s.io/v1') bad(`no kind "${String(isObj(doc) ? doc.kind : '')}" is registered for version "${String(isObj(doc) ? doc.apiVersion : '')}"`);
  const d = doc as Record<string, unknown>;
  const extra = Object.keys(d).filter((k) => !['kind', 'apiVersion', 'metadata', 'rules', 'omitStages', 'omitManagedFields'].includes(k));
  if (extra.length) bad(`strict decoding error: unknown field "${extra[0]}"`);
  const problems: string[] = [];
  const omitStages = strings(d.omitStages);
  omitStages.filter((s) => !STAGES.includes(s)).forEach((s) => problems.push(`omitStages: Unsupported value: "${s}"`));
  const rawRules = Array.isArray(d.rules) ? d.rules : [];
  if (rawRules.length === 0) throw new StandinExit(`loading audit policy file: invalid audit policy ${path}: policy has no rules`);
  const rules = rawRules.map((r: unknown, i: number): Rule => {
    const at = `rules[${i}]`;
    if (!isObj(r)) bad(`${at}: not an object`);
    const rr = r as Record<string, unknown>;
    const unknown = Object.keys(rr).find((k) => !RULE_FIELDS.includes(k));
    if (unknown) bad(`strict decoding error: unknown field "${at}.${unknown}"`);
    const level = String(rr.level ?? '');
    if (!LEVELS.includes(level)) problems.push(`${at}.level: ${level === '' ? 'Required value' : `Unsupported value: "${level}"`}`);
    if ((level === 'Request' || level === 'RequestResponse')) {
      throw new StandinExit(`the kube-apiserver stand-in does not implement audit level ${level} (${path}, ${at}): use None or Metadata`);
    }
    const resources = (Array.isArray(rr.resources) ? rr.resources : []).map((g: unknown) => {
      const gg = isObj(g) ? g : {};
      return { group: String(gg.group ?? ''), resources: strings(gg.resources), resourceNames: strings(gg.resourceNames) };
    });
    const nonResourceURLs = strings(rr.nonResourceURLs);
    if (nonResourceURLs.length && (resources.length || strings(rr.namespaces).length)) problems.push(`${at}.nonResourceURLs: Invalid value: rules cannot apply to both regular resources and non-resource URLs`);
    nonResourceURLs.filter((u) => !u.startsWith('/') || u.slice(0, -1).includes('*')).forEach((u) => problems.push(`${at}.nonResourceURLs: Invalid value: "${u}": non-resource URLs must start with "/" and may end in "*"`));
    const ruleOmit = strings(rr.omitStages);
    ruleOmit.filter((s) => !STAGES.includes(s)).forEach((s) => problems.push(`${at}.omitStages: Unsupported value: "${s}"`));
    return { level, users: strings(rr.users), userGroups: strings(rr.userGroups), verbs: strings(rr.verbs), resources, namespaces: strings(rr.namespaces), nonResourceURLs, omitStages: ruleOmit };
  });
  if (problems.length) throw new StandinExit(`loading audit policy file: invalid audit policy ${path}: [${problems.join(', ')}]`);
  return { rules, omitStages };
}

export interface AuditRequest {
  user: { name: string; groups: readonly string[] };
  info: RequestInfo;
  method: string;
  uri: string;
  sourceIp: string;
  userAgent: string;
}

export class AuditLog {
  private constructor(
    private readonly policy: { rules: Rule[]; omitStages: string[] },
    private readonly path: string,
    private readonly maxSizeBytes: number,
    private readonly maxBackups: number,
  ) {}

  /** The flags; undefined when there is no log to write (no path, or no policy: the real server records nothing). */
  static fromFlags(flags: ParsedFlags): AuditLog | undefined {
    for (const f of ['audit-webhook-config-file', 'audit-log-compress', 'audit-log-truncate-enabled']) {
      const v = flags.string(f);
      if (v !== '' && v !== 'false') throw new StandinExit(`--${f}: the kube-apiserver stand-in does not implement it`);
    }
    const mode = flags.string('audit-log-mode', 'blocking');
    if (mode !== 'blocking') throw new StandinExit(`--audit-log-mode=${mode}: the kube-apiserver stand-in writes audit events only in blocking mode`);
    const format = flags.string('audit-log-format', 'json');
    if (format !== 'json') throw new StandinExit(`--audit-log-format=${format}: the kube-apiserver stand-in writes only the json format`);
    const version = flags.string('audit-log-version', 'audit.k8s.io/v1');
    if (version !== 'audit.k8s.io/v1') throw new StandinExit(`--audit-log-version=${version}: only audit.k8s.io/v1 is known`);
    const path = flags.string('audit-log-path');
    const policyFile = flags.string('audit-policy-file');
    if (path === '' || policyFile === '') {
      if (path !== '' && policyFile === '') klog('audit.go:331').info('No audit policy file provided, no events will be recorded for log backend');
      return undefined;
    }
    if (path === '-') throw new StandinExit('--audit-log-path=-: the kube-apiserver stand-in does not write audit events to standard output');
    const policy = parsePolicy(policyFile);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    return new AuditLog(policy, path, flags.int('audit-log-maxsize', 0) * 1024 * 1024, flags.int('audit-log-maxbackup', 0));
  }

  private levelOf(req: AuditRequest): { level: string; omit: string[] } {
    const { info, user } = req;
    for (const r of this.policy.rules) {
      if (r.users.length && !r.users.includes(user.name)) continue;
      if (r.userGroups.length && !r.userGroups.some((g) => user.groups.includes(g))) continue;
      if (r.verbs.length && !r.verbs.includes(info.verb)) continue;
      if (r.resources.length || r.namespaces.length) {
        if (!info.isResourceRequest) continue;
        if (r.namespaces.length && !r.namespaces.includes(info.namespace ?? '')) continue;
        const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
        const hit = r.resources.length === 0 || r.resources.some((g) =>
          g.group === info.apiGroup &&
          (g.resources.length === 0 || g.resources.includes(resource) || g.resources.includes('*') || g.resources.includes(`*/${info.subresource ?? ''}`) || g.resources.includes(`${info.resource}/*`)) &&
          (g.resourceNames.length === 0 || g.resourceNames.includes(info.name ?? '')));
        if (!hit) continue;
      } else if (r.nonResourceURLs.length) {
        if (info.isResourceRequest) continue;
        if (!r.nonResourceURLs.some((u) => (u.endsWith('*') ? info.path.startsWith(u.slice(0, -1)) : info.path === u))) continue;
      }
      return { level: r.level, omit: [...this.policy.omitStages, ...r.omitStages] };
    }
    return { level: 'None', omit: [] };
  }

  /** Called once the request is authenticated; returns what to call with the status code when it completes. */
  begin(req: AuditRequest): (code: number, decision: 'allow' | 'forbid') => void {
    const { level, omit } = this.levelOf(req);
    if (level === 'None') return () => undefined;
    const received = microTime();
    const { info } = req;
    const base = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level,
      auditID: randomUUID(),
      requestURI: req.uri,
      verb: info.isResourceRequest ? info.verb : req.method.toLowerCase(),
      user: { username: req.user.name, groups: req.user.groups },
      sourceIPs: [req.sourceIp],
      userAgent: req.userAgent,
      ...(info.isResourceRequest && {
        objectRef: {
          resource: info.resource,
          ...(info.namespace && { namespace: info.namespace }),
          ...(info.name && { name: info.name }),
          ...(info.apiGroup && { apiGroup: info.apiGroup }),
          apiVersion: info.apiVersion,
          ...(info.subresource && { subresource: info.subresource }),
        },
      }),
      requestReceivedTimestamp: received,
    };
    if (!omit.includes('RequestReceived')) this.write({ ...base, stage: 'RequestReceived', stageTimestamp: received });
    return (code, decision) => {
      if (omit.includes('ResponseComplete')) return;
      this.write({
        ...base,
        stage: 'ResponseComplete',
        responseStatus: { metadata: {}, code },
        stageTimestamp: microTime(),
        annotations: { 'authorization.k8s.io/decision': decision, 'authorization.k8s.io/reason': '' },
      });
    };
  }

  private write(event: Record<string, unknown>): void {
    const line = `${JSON.stringify(event)}\n`;
    this.rotateIfNeeded(Buffer.byteLength(line));
    appendFileSync(this.path, line, { mode: 0o600 });
  }

  /** lumberjack's rule: a write that would pass maxsize moves the file to <name>-<time><ext> and prunes old ones. */
  private rotateIfNeeded(bytes: number): void {
    if (this.maxSizeBytes <= 0) return;
    let size = 0;
    try {
      size = statSync(this.path).size;
    } catch {
      return;
    }
    if (size + bytes <= this.maxSizeBytes) return;
    const ext = extname(this.path);
    const stem = basename(this.path, ext);
    const stamp = new Date().toISOString().replace(/:/g, '-').replace('Z', '');
    renameSync(this.path, join(dirname(this.path), `${stem}-${stamp}${ext}`));
    if (this.maxBackups <= 0) return;
    const backups = readdirSync(dirname(this.path)).filter((f) => f.startsWith(`${stem}-`) && f.endsWith(ext)).sort();
    for (const old of backups.slice(0, Math.max(0, backups.length - this.maxBackups))) unlinkSync(join(dirname(this.path), old));
  }
}
