// `kubeup certs renew`: the `up` flow with the chosen leaves issued again (the CAs stay), so the upload (atomic,
// keys 0600), the restarts (only the readers of a changed file) and the locks are up's own. Its last phase proves each
// renewed certificate is the one in use (RenewalProof in src/pki/renewal.ts): the serial a daemon presents over TLS,
// a Lease renewed by the restarted process, or kubeup's own call with it; what cannot be seen is said.
import type { Plan } from '../plan/types.js';
import { ETCD_CA_CERT, binaryPath, etcdCertPath, etcdKeyPath } from '../render/paths.js';
import { certFacts } from '../pki/expiry.js';
import type { RenewalPlan, RenewalProof } from '../pki/renewal.js';
import { ApiClient } from '../verify/api-client.js';
import { presentedSerial, presentedSerialOnHost } from '../verify/presented-cert.js';
import type { RunCtx } from './context.js';

export interface ProofResult {
  proof: RenewalProof;
  ok: boolean;
  /** What was seen, e.g. `serves serial 5A…`, or why it is not observed. */
  detail: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retries `fn` until it returns a result or the deadline passes; the last error or result is kept. */
async function until<T>(timeoutMs: number, fn: () => Promise<{ done: boolean; value: T }>, signal?: AbortSignal): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: { done: boolean; value: T } | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await fn();
      if (last.done) return last.value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline || signal?.aborted) break;
    await sleep(1000);
  }
  if (last) return last.value;
  throw lastError;
}

// When the unit last became active, in ms of the host's clock. systemd before 248 prints whole seconds only: then the
// end of that second, so that a Lease renewed by the old process in the same second is never taken for the new one's.
const ACTIVE_SINCE_MS = `t=$(systemctl show --timestamp=us+utc -p ActiveEnterTimestamp --value "$1" 2>/dev/null) && [ -n "$t" ] && exec date -d "$t" +%s%3N
t=$(systemctl show -p ActiveEnterTimestamp --value "$1") && [ -n "$t" ] && echo $(( $(date -d "$t" +%s) * 1000 + 999 ))`;

/** Microsecond times (metav1.MicroTime) as Date.parse reads them. */
const parseMicroTime = (t: string) => Date.parse(t.replace(/(\.\d{3})\d+/, '$1'));

export async function proveRenewal(ctx: RunCtx, plan: Plan, renewal: RenewalPlan, timeoutMs: number, signal?: AbortSignal): Promise<ProofResult[]> {
  const pki = ctx.pki!;
  const admin = pki.certs.get('admin')!;
  const api = (identity = 'admin') => {
    const c = pki.certs.get(identity) ?? admin;
    return new ApiClient({ server: plan.cluster.apiServer.url, caPem: pki.ca.certPem, certPem: c.certPem, keyPem: c.keyPem });
  };
  const serialOf = (identity: string) => certFacts(pki.certs.get(identity)!.certPem).serial;
  const restarted = (host: string, unit: string) => {
    const r = ctx.records.get(host);
    return r !== undefined && (r.unitsRestarted.includes(unit) || r.unitsStarted.includes(unit));
  };
  const session = (host: string) => ctx.sessions.get(host)!;

  const prove = async (p: RenewalProof): Promise<ProofResult> => {
    switch (p.kind) {
      case 'tls': {
        const want = serialOf(p.identity);
        const seen = await until(timeoutMs, async () => {
          const s = p.onHost
            ? await presentedSerialOnHost(session(p.host), p.address, p.port, ETCD_CA_CERT, { cert: etcdCertPath('healthcheck-client'), key: etcdKeyPath('healthcheck-client') })
            : await presentedSerial(p.address, p.port, pki.ca.certPem);
          return { done: s === want, value: s };
        }, signal);
        const where = `${p.onHost ? `${p.host}: ` : ''}${p.address}:${p.port}`;
        return seen === want
          ? { proof: p, ok: true, detail: `${where} presents serial ${seen}` }
          : { proof: p, ok: false, detail: `${where} still presents serial ${seen}, not the new ${want}` };
      }
      case 'lease': {
        if (!restarted(p.host, p.unit)) return { proof: p, ok: false, detail: `${p.unit} on ${p.host} was not restarted after the new file was written` };
        // Both times come from the host's clock: systemd's, and the process's own in the Lease it renews.
        const r = await session(p.host).exec(['sh', '-c', ACTIVE_SINCE_MS, 'sh', p.unit]);
        const startedMs = Number(r.stdout.trim());
        if (!Number.isFinite(startedMs) || startedMs <= 0) return { proof: p, ok: false, detail: `cannot tell when ${p.unit} started on ${p.host} (${r.stdout.trim() || r.stderr.trim()})` };
        const renewed = await until(timeoutMs, async () => {
          const l = await api().request<{ spec?: { renewTime?: string } }>('GET', `/apis/coordination.k8s.io/v1/namespaces/${p.namespace}/leases/${p.name}`);
          const t = l.status === 200 && l.body.spec?.renewTime ? parseMicroTime(l.body.spec.renewTime) : 0;
          return { done: t >= startedMs, value: t };
        }, signal);
        return renewed >= startedMs
          ? { proof: p, ok: true, detail: `${p.unit} on ${p.host} restarted at ${new Date(startedMs).toISOString()}; Lease ${p.namespace}/${p.name} renewed by it at ${new Date(renewed).toISOString()}` }
          : { proof: p, ok: false, detail: `Lease ${p.namespace}/${p.name} not renewed since ${p.unit} restarted on ${p.host} at ${new Date(startedMs).toISOString()}` };
      }
      case 'api': {
        if (p.check === 'etcdctl-health') {
          const r = await session(p.host).exec(
            [binaryPath('etcdctl'), '--endpoints=https://127.0.0.1:2379', `--cacert=${ETCD_CA_CERT}`, `--cert=${etcdCertPath('healthcheck-client')}`, `--key=${etcdKeyPath('healthcheck-client')}`, 'endpoint', 'health'],
            { sudo: true, allowFailure: true, timeoutMs: 20_000 },
          );
          return { proof: p, ok: r.code === 0, detail: r.code === 0 ? 'etcdctl endpoint health: healthy with the new certificate' : `etcdctl endpoint health failed: ${(r.stderr || r.stdout).trim()}` };
        }
        if (p.check === 'apiserver-readyz' && !restarted(p.host, 'kube-apiserver.service')) return { proof: p, ok: false, detail: 'kube-apiserver was not restarted after the new file was written' };
        const [identity, path] = p.check === 'admin-nodes' ? ['admin', '/api/v1/nodes'] : p.check === 'super-admin-readyz' ? ['super-admin', '/readyz'] : ['super-admin', '/readyz'];
        const r = await until(timeoutMs, async () => {
          const res = await api(identity).request('GET', path!);
          return { done: res.status === 200, value: res.status };
        }, signal);
        return { proof: p, ok: r === 200, detail: `GET ${path} with the ${identity} certificate: HTTP ${r}` };
      }
      case 'unobserved': {
        const readers = renewal.hosts.filter((h) => h.files.some((f) => f.endsWith(`/${p.identity}.crt`)));
        const missed = readers.flatMap((h) => h.restarts.filter((u) => !restarted(h.id, u)).map((u) => `${u} on ${h.id}`));
        return missed.length
          ? { proof: p, ok: false, detail: `not restarted after the new file was written: ${missed.join(', ')}` }
          : { proof: p, ok: true, detail: `not observable: ${p.why}` };
      }
    }
  };
  // Independent reads, each bounded by timeoutMs: all at once, so the phase takes as long as the slowest.
  return Promise.all(renewal.proofs.map((p) => prove(p).catch((e: unknown): ProofResult => ({ proof: p, ok: false, detail: (e as Error).message }))));
}

export function formatProofs(results: readonly ProofResult[]): string {
  const lines = results.map((r) => `  ${r.ok ? (r.proof.kind === 'unobserved' ? 'n/a ' : 'ok  ') : 'FAIL'}  ${r.proof.identity}: ${r.detail}`);
  return `${lines.join('\n')}\n`;
}
