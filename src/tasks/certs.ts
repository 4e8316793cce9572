// `kubeup certs check`: read-only. Every certificate kubeup issued, as this machine keeps it (state/…/pki) and as each
// deployed host holds it (read over SSH, with the public half of its key), with subject, SANs, issuer CA and expiry.
// The exit code tells a cron job whether to act: CERTS_EXIT.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readDeployedRecord } from '../deployed-record.js';
import { KubeupError, UsageError } from '../errors.js';
import { certificatesFor } from '../plan/certificates.js';
import { caCommonName } from '../pki/ca.js';
import { CA_NAMES } from '../pki/identities.js';
import { certFacts, daysLeft, expiryLevel, FAIL_DAYS, WARN_DAYS, worst, type CertFacts, type Level } from '../pki/expiry.js';
import { readIfExists } from '../pki/files.js';
import { hostId, type Profile } from '../profile/types.js';
import type { HostSession } from '../ssh/session.js';
import type { ClusterDiff } from '../plan/diff.js';
import { PKI_DIR } from '../render/paths.js';
import type { RunDeps, RunOptions } from './context.js';
import { eachBounded } from './observe-cluster.js';

/** 0: nothing to do; 20: a certificate expires within WARN_DAYS; 21: within FAIL_DAYS, expired, or a host's copy is wrong or unread. */
export const CERTS_EXIT = { ok: 0, warn: 20, fail: 21 } as const;

export interface CertRow {
  /** Identity name (`kube-apiserver`, `kubelet-h1`, `ca`, …). */
  name: string;
  file: string;
  facts?: CertFacts;
  /** Which CA of the cluster signed it (`ca`, `etcd-ca`, `front-proxy-ca`), from its issuer; `self` for a CA. */
  ca?: string;
  days?: number;
  level: Level;
  /** What is wrong besides expiry, e.g. `differs from the local copy (serial …)`. */
  problems: string[];
}

export interface HostCerts {
  id: string;
  nodeName: string;
  unreachable?: string;
  certs: CertRow[];
}

export interface CertsReport {
  profile: string;
  now: string;
  warnDays: number;
  failDays: number;
  localDir: string;
  local: CertRow[];
  hosts: HostCerts[];
  level: Level;
}

const caOf = (f: CertFacts, clusterName: string): string => {
  for (const ca of CA_NAMES) if (f.issuer === `CN=${caCommonName(clusterName, ca)}`) return f.issuer === f.subject ? 'self' : ca;
  return `other (${f.issuer})`;
};

function rowOf(name: string, file: string, pem: string | undefined, clusterName: string, now: Date): CertRow {
  if (pem === undefined) return { name, file, level: 'fail', problems: ['missing'] };
  let facts: CertFacts;
  try {
    facts = certFacts(pem);
  } catch {
    return { name, file, level: 'fail', problems: ['not a readable certificate'] };
  }
  const ca = caOf(facts, clusterName);
  const problems = ca.startsWith('other') ? [`not issued by a CA of cluster ${clusterName}`] : [];
  return { name, file, facts, ca, days: daysLeft(facts.notAfter, now), level: problems.length ? 'fail' : expiryLevel(facts.notAfter, now), problems };
}

// $@: pairs of "cert:<path>" / "key:<path>". Prints each certificate between markers, and for each key the sha256 of
// its public half's DER (never the key itself); MISSING when there is no such file.
const READ_SCRIPT = `for a do
  p=\${a#*:}
  case $a in
    cert:*) echo "=== cert $p"; if [ -f "$p" ]; then cat -- "$p"; else echo MISSING; fi ;;
    key:*) echo "=== key $p"; if [ -f "$p" ]; then openssl pkey -in "$p" -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1; else echo MISSING; fi ;;
  esac
done`;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** The host's copies, compared with the local ones. */
async function hostRows(session: HostSession, pairs: { name: string; cert: string; key?: string }[], local: Map<string, CertRow & { pem?: string }>, clusterName: string, now: Date): Promise<CertRow[]> {
  const args = pairs.flatMap((p) => [`cert:${p.cert}`, ...(p.key ? [`key:${p.key}`] : [])]);
  const r = await session.exec(['sh', '-c', READ_SCRIPT, 'sh', ...args], { sudo: true });
  const blocks = new Map<string, string>();
  for (const part of r.stdout.split(/^=== /m).slice(1)) {
    const nl = part.indexOf('\n');
    blocks.set(part.slice(0, nl), part.slice(nl + 1));
  }
  return pairs.map((p) => {
    const text = blocks.get(`cert ${p.cert}`);
    const row = rowOf(p.name, p.cert, text === undefined || text.trim() === 'MISSING' ? undefined : text, clusterName, now);
    const mine = local.get(p.name);
    if (row.facts && mine?.facts && row.facts.serial !== mine.facts.serial) {
      row.problems.push(`differs from the local copy (serial ${row.facts.serial} here, ${mine.facts.serial} on this machine)`);
    }
    if (p.key && row.facts) {
      const k = (blocks.get(`key ${p.key}`) ?? '').trim();
      if (k === 'MISSING') row.problems.push(`key ${p.key} missing`);
      else if (k === '' || k === EMPTY_SHA256) row.problems.push(`key ${p.key} unreadable (is openssl installed?)`);
      else if (k !== row.facts.publicKeySha256) row.problems.push(`key ${p.key} is not this certificate's key`);
    }
    if (row.problems.length) row.level = 'fail';
    return row;
  });
}

export async function checkCertificates(profile: Profile, opts: RunOptions, deps: RunDeps): Promise<CertsReport> {
  const record = readDeployedRecord(opts.stateDir);
  if (!record) throw new UsageError(`kubeup has no record of a deployment of ${profile.name}`, { hint: `deploy it first: kubeup up --profile ${profile.name}` });
  const now = deps.now();
  const clusterName = profile.name;
  const dir = join(opts.stateDir, 'pki');
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.crt')).sort();
  } catch (cause) {
    throw new UsageError(`cannot read the cluster's certificates on this machine`, { file: dir, cause, hint: 'run kubeup up for the profile (it keeps them there)' });
  }
  const local = new Map<string, CertRow & { pem?: string }>();
  for (const f of files) {
    const pem = await readIfExists(join(dir, f));
    const name = f.slice(0, -'.crt'.length);
    local.set(name, { ...rowOf(name, join(dir, f), pem, clusterName, now), ...(pem !== undefined && { pem }) });
  }
  const hosts = await eachBounded(record.hosts, opts.concurrency, async (h): Promise<HostCerts> => {
    const pairs = certificatesFor(h.roles, h.units, h.nodeName)
      .filter((c) => c.cert !== undefined)
      .map((c) => ({ name: c.identity, cert: c.cert!, ...(c.key && { key: c.key }) }));
    const index = profile.hosts.findIndex((p) => hostId(p) === h.id);
    let session: HostSession;
    try {
      session = (await deps.connect({ host: h.spec, field: index >= 0 ? `hosts[${index}]` : h.id, profile, acceptNewHostKeys: false, secrets: opts.secrets })).session;
    } catch (e) {
      return { id: h.id, nodeName: h.nodeName, unreachable: e instanceof KubeupError ? e.message : (e as Error).message, certs: [] };
    }
    try {
      return { id: h.id, nodeName: h.nodeName, certs: await hostRows(session, pairs, local, clusterName, now) };
    } catch (e) {
      return { id: h.id, nodeName: h.nodeName, unreachable: e instanceof KubeupError ? e.message : (e as Error).message, certs: [] };
    } finally {
      await session.close().catch(() => undefined);
    }
  });
  // In profile order (the record lists hosts in the order their first deploy finished); hosts no longer in it last.
  const rank = (id: string) => {
    const i = profile.hosts.findIndex((p) => hostId(p) === id);
    return i < 0 ? profile.hosts.length : i;
  };
  hosts.sort((a, b) => rank(a.id) - rank(b.id));
  const localRows = [...local.values()].map(({ pem: _pem, ...row }) => row);
  const level = worst([...localRows.map((r) => r.level), ...hosts.flatMap((h) => (h.unreachable ? ['fail' as const] : h.certs.map((c) => c.level)))]);
  return { profile: profile.name, now: now.toISOString(), warnDays: WARN_DAYS, failDays: FAIL_DAYS, localDir: dir, local: localRows, hosts, level };
}

export const certsExitCode = (r: Pick<CertsReport, 'level'>): number => CERTS_EXIT[r.level];

const MARK: Record<Level, string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL' };
const when = (d: Date) => d.toISOString().replace(/:\d\d\.\d+Z$/, 'Z').replace('T', ' ');

function table(rows: string[][], indent: string): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `${indent}${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}`.trimEnd());
}

export function formatCertsReport(r: CertsReport): string {
  const out = [`Certificates of cluster ${r.profile} (${when(new Date(r.now))}; WARN under ${r.warnDays} days left, FAIL under ${r.failDays})`, `This machine (${r.localDir}):`];
  const head = ['', 'NAME', 'CA', 'EXPIRES (UTC)', 'DAYS', 'SERIAL', 'SUBJECT / SANs'];
  const line = (c: CertRow) => [MARK[c.level], c.name, c.ca ?? '-', c.facts ? when(c.facts.notAfter) : '-', c.days === undefined ? '-' : String(c.days), c.facts?.serial ?? '-', c.facts ? [c.facts.subject, ...c.facts.sans].join('; ') : c.problems.join('; ')];
  out.push(...table([head, ...r.local.map(line)], '  '));
  for (const h of r.hosts) {
    out.push(`Host ${h.id} (node ${h.nodeName}):`);
    if (h.unreachable) {
      out.push(`  FAIL  not read: ${h.unreachable}`);
      continue;
    }
    const rows = h.certs.map((c) => [MARK[c.level], c.file, c.name, c.facts ? when(c.facts.notAfter) : '-', c.days === undefined ? '-' : String(c.days), c.problems.length ? c.problems.join('; ') : 'same as this machine\'s, key matches']);
    out.push(...table([['', 'FILE', 'NAME', 'EXPIRES (UTC)', 'DAYS', 'STATE'], ...rows], '  '));
  }
  const verdict =
    r.level === 'ok'
      ? `OK: nothing expires within ${r.warnDays} days and every host holds this machine's certificates.`
      : r.level === 'warn'
        ? `WARN: a certificate expires within ${r.warnDays} days: kubeup certs renew --profile ${r.profile} (or kubeup up, which re-issues it too).`
        : `FAIL: a certificate expires within ${r.failDays} days, has expired, or a host's copy is missing or not this machine's: kubeup certs renew --profile ${r.profile}.`;
  out.push(verdict);
  return `${out.join('\n')}\n`;
}

/**
 * What `up` would change besides certificates and keys under /etc/kubernetes/pki: `certs renew` runs up's converge, so
 * it refuses while the profile has changes not applied yet (they would go out with the certificates). Certificate
 * files that differ are no reason: a renew that stopped midway leaves exactly those, and a re-run completes it.
 */
export function pendingNonCertChanges(diff: ClusterDiff): string[] {
  const out: string[] = [];
  for (const h of diff.hosts) {
    if (h.action === 'add' || h.action === 'remove') {
      out.push(`${h.id}: host to ${h.action}`);
      continue;
    }
    for (const f of h.files) if (!f.path.startsWith(`${PKI_DIR}/`)) out.push(`${h.id}: ${f.path} (${f.drift ? 'drift' : f.change})`);
  }
  return out;
}
