/**
 * The stand-in API server: HTTPS with client-certificate and service-account-token authentication, the
 * authorizer chain, objects in etcd, discovery, health, Tables for kubectl, and the bootstrap work the real server
 * does at start (system namespaces, RBAC defaults, the default/kubernetes Service and Endpoints).
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { KubeObject } from '../client.js';
import { klog } from '../klog.js';
import { delay, metaTime } from '../time.js';
import { authorize, forbiddenMessage, type RbacObjects, type UserInfo } from './authz.js';
import { nodeRestriction } from './node-restriction.js';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles, bootstrapNamespaceRoleBindings, bootstrapNamespaceRoles } from './bootstrap-policy.js';
import { componentStatuses, componentStatusWarning } from './componentstatus.js';
import { coreVersions, groupList, resourceList } from './discovery.js';
import { EtcdClient, EtcdError } from './etcd.js';
import { renderHealth, type Check } from './health.js';
import { gvDocument, rootIndex } from './openapi.js';
import type { ApiServerConfig } from './options.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { coreObjectFromProtobuf, selfSubjectAccessReviewFromProtobuf, unwrapEnvelope } from './protobuf.js';
import { requestInfo, type RequestInfo } from './request-info.js';
import { apiVersionOf, findResource, resources, type ResourceDef } from './resources.js';
import { newClaims, signToken, verifyToken } from './sa-token.js';
import { AUTH_CONFIGMAP, authenticationConfigMapData, requestHeaderUser } from './requestheader.js';
import { Store } from './store.js';
import {
  badRequest, conflict, forbiddenStatus, qualified, internalError, invalid, methodNotSupported, notFound, notFoundPath, StatusError,
  unauthorized, unsupportedMediaType,
} from './status.js';
import { toTable, wantsTable } from './tables.js';
import { appliedObject, typedCreate, typedPatched, typedUpdate, warningHeaders } from './typed-writes.js';

const log = klog('server.go:1');
const httplog = klog('httplog.go:134');
const systemNamespaces = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];
/** metav1.DeleteOptions, the fields the stand-in reads. */
interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}
const def = (group: string, name: string): ResourceDef => findResource(group, 'v1', name) as ResourceDef;

export interface ApiServerVersion {
  readonly gitVersion: string;
  readonly major: string;
  readonly minor: string;
}

/** IPv4 arithmetic for the service range. */
function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
}
function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export class ApiServer {
  readonly etcd: EtcdClient;
  readonly store: Store;
  private server?: Server;
  private bootstrapped = false;
  private rbacCache?: { at: number; value: RbacObjects };
  private readonly version: ApiServerVersion;

  constructor(readonly cfg: ApiServerConfig, version: ApiServerVersion) {
    this.version = version;
    this.etcd = new EtcdClient(cfg.etcdServers, cfg.etcdTls);
    this.store = new Store(this.etcd, cfg.encryption);
  }

  /** The first address of the service range, which the kubernetes Service gets. */
  kubernetesServiceIP(): string {
    return intToIp(ipToInt(this.cfg.serviceCidr.ip) + 1);
  }

  async start(): Promise<number> {
    const server = createServer(
      {
        cert: this.cfg.servingCertPem,
        key: this.cfg.servingKeyPem,
        requestCert: true,
        rejectUnauthorized: false,
        minVersion: this.cfg.tls.minVersion,
        ...(this.cfg.tls.ciphers ? { ciphers: this.cfg.tls.ciphers } : {}),
        ...(this.cfg.clientCaPem ? { ca: this.cfg.clientCaPem } : {}),
      },
      (req, res) => {
        this.handle(req, res).catch((err: unknown) => {
          log.error('unhandled error', { err: (err as Error).message });
          if (!res.headersSent) this.sendStatus(res, internalError((err as Error).message));
        });
      },
    );
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const hp = `${this.cfg.bindAddress}:${this.cfg.securePort}`;
        reject(new Error(`failed to create listener: failed to listen on ${hp}: listen tcp ${hp}: ${err.code === 'EADDRINUSE' ? 'bind: address already in use' : err.message}`));
      });
      server.listen(this.cfg.securePort, this.cfg.bindAddress, () => resolve());
    });
    const port = (server.address() as { port: number }).port;
    klog('secure_serving.go:213').info('Serving securely on', { address: `${this.cfg.bindAddress}:${port}` });
    void this.bootstrapLoop();
    return port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    this.etcd.close();
  }

  // ---------------------------------------------------------------- bootstrap

  private async bootstrapLoop(): Promise<void> {
    for (let attempt = 0; !this.bootstrapped; attempt++) {
      try {
        await this.bootstrap();
        this.bootstrapped = true;
        log.info('bootstrap finished: system namespaces, RBAC defaults, kubernetes service');
      } catch (err) {
        if (attempt % 10 === 0) log.error('bootstrap: waiting for etcd', { err: (err as Error).message });
        await delay(1000);
      }
    }
  }

  private async ensure(d: ResourceDef, ns: string | undefined, obj: KubeObject): Promise<KubeObject> {
    const existing = await this.store.tryGet(d, ns, obj.metadata.name);
    if (existing) return existing;
    try {
      return await this.store.create(d, ns, obj);
    } catch (err) {
      if (err instanceof StatusError && err.status.code === 409) return this.store.get(d, ns, obj.metadata.name);
      throw err;
    }
  }

  private async bootstrap(): Promise<void> {
    for (const name of systemNamespaces) {
      await this.ensure(def('', 'namespaces'), undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
    }
    await this.syncAuthenticationConfigMap();
    for (const role of bootstrapClusterRoles) await this.ensure(def('rbac.authorization.k8s.io', 'clusterroles'), undefined, role);
    for (const b of bootstrapClusterRoleBindings) await this.ensure(def('rbac.authorization.k8s.io', 'clusterrolebindings'), undefined, b);
    for (const r of bootstrapNamespaceRoles) await this.ensure(def('rbac.authorization.k8s.io', 'roles'), r.metadata.namespace, r);
    for (const b of bootstrapNamespaceRoleBindings) await this.ensure(def('rbac.authorization.k8s.io', 'rolebindings'), b.metadata.namespace, b);
    this.rbacCache = undefined;
    const svc = def('', 'services');
    const ip = this.kubernetesServiceIP();
    const existing = await this.store.tryGet(svc, 'default', 'kubernetes');
    if (!existing) {
      await this.ensure(svc, 'default', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: {
          type: 'ClusterIP',
          clusterIP: ip,
          clusterIPs: [ip],
          ipFamilies: ['IPv4'],
          ipFamilyPolicy: 'SingleStack',
          internalTrafficPolicy: 'Cluster',
          sessionAffinity: 'None',
          ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: this.cfg.securePort }],
        },
        status: { loadBalancer: {} },
      });
    }
    const endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets: [{ addresses: [{ ip: this.cfg.advertiseAddress }], ports: [{ name: 'https', port: this.cfg.securePort, protocol: 'TCP' }] }],
    };
    const ep = await this.store.tryGet(def('', 'endpoints'), 'default', 'kubernetes');
    if (!ep) await this.ensure(def('', 'endpoints'), 'default', endpoints);
    else if (JSON.stringify(ep.subsets) !== JSON.stringify(endpoints.subsets)) {
      await this.store.update(def('', 'endpoints'), 'default', 'kubernetes', { ...ep, subsets: endpoints.subsets });
    }
    const slice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [this.cfg.advertiseAddress], conditions: { ready: true } }],
      ports: [{ name: 'https', port: this.cfg.securePort, protocol: 'TCP' }],
    };
    await this.ensure(def('discovery.k8s.io', 'endpointslices'), 'default', slice);
  }

  /** kube-system/extension-apiserver-authentication, as the cluster-authentication-trust controller keeps it. */
  private async syncAuthenticationConfigMap(): Promise<void> {
    const cm = def('', 'configmaps');
    const { namespace, name } = AUTH_CONFIGMAP;
    const existing = await this.store.tryGet(cm, namespace, name);
    const data = authenticationConfigMapData((existing?.data as Record<string, string> | undefined) ?? {}, this.cfg.clientCaPem, this.cfg.aggregation.requestHeader);
    if (!existing) await this.ensure(cm, namespace, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data });
    else if (JSON.stringify(existing.data ?? {}) !== JSON.stringify(data)) await this.store.update(cm, namespace, name, { ...existing, data });
  }

  // ---------------------------------------------------------------- plumbing

  private send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(code, {
      'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
      'Cache-Control': 'no-cache, private',
      'X-Content-Type-Options': 'nosniff',
      ...headers,
    });
    res.end(text);
  }

  private sendStatus(res: ServerResponse, err: StatusError): void {
    this.send(res, err.status.code, err.status);
  }

  private async readBody(req: IncomingMessage, protobuf?: (raw: Buffer) => unknown): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const type = (req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim() ?? '';
    if (type === 'application/vnd.kubernetes.protobuf') {
      let decoded: unknown;
      try {
        const env = unwrapEnvelope(Buffer.concat(chunks));
        decoded = protobuf ? protobuf(env.raw) : coreObjectFromProtobuf(env.apiVersion, env.kind, env.raw);
      } catch (err) {
        throw badRequest(`the server rejected our request due to an error in our request: ${(err as Error).message}`);
      }
      if (decoded === null) throw unsupportedMediaType(type);
      return decoded;
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() === '') return undefined;
    if (type.includes('yaml') || type.includes('protobuf')) throw unsupportedMediaType(type);
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw badRequest(`the server rejected our request due to an error in our request: ${(err as Error).message}`);
    }
  }

  private async loadRbac(): Promise<RbacObjects> {
    if (this.rbacCache && Date.now() - this.rbacCache.at < 1000) return this.rbacCache.value;
    const g = 'rbac.authorization.k8s.io';
    const [cr, crb, r, rb] = await Promise.all([
      this.store.list(def(g, 'clusterroles')),
      this.store.list(def(g, 'clusterrolebindings')),
      this.store.list(def(g, 'roles')),
      this.store.list(def(g, 'rolebindings')),
    ]);
    const value = { clusterRoles: cr.items, clusterRoleBindings: crb.items, roles: r.items, roleBindings: rb.items };
    this.rbacCache = { at: Date.now(), value };
    return value;
  }

  /**
   * In the real chain's order: a front-proxy request (requestheader CA + allowed name + user header), an x509 client
   * certificate (verified against --client-ca-file), a bearer service-account token, else anonymous.
   */
  private async authenticate(req: IncomingMessage): Promise<UserInfo | null> {
    const sock = req.socket as TLSSocket;
    const peer = sock.getPeerCertificate();
    const proxied = requestHeaderUser(this.cfg.aggregation.requestHeader, peer?.raw, req.headers);
    if (proxied) return { name: proxied.name, groups: [...proxied.groups, 'system:authenticated'] };
    if (peer && Object.keys(peer).length > 0) {
      const failure = clientCertFailure(sock, peer.ext_key_usage, this.cfg.clientCas.length > 0);
      if (failure) {
        klog('authentication.go:73').error('Unable to authenticate the request', { err: `verifying certificate SN=${peer.serialNumber}, subject=${JSON.stringify(peer.subject?.CN ?? '')} failed: ${failure}` });
        return null;
      }
      const cn = typeof peer.subject?.CN === 'string' ? peer.subject.CN : '';
      const o = peer.subject?.O;
      const groups = Array.isArray(o) ? o : typeof o === 'string' ? [o] : [];
      if (cn === '') return null;
      return { name: cn, groups: [...groups, 'system:authenticated'] };
    }
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) {
      const claims = verifyToken(auth.slice(7).trim(), this.cfg.serviceAccountPublicKeys, this.cfg.serviceAccountIssuers, this.cfg.apiAudiences);
      if (!claims) return null;
      const k = claims['kubernetes.io'];
      const sa = await this.store.tryGet(def('', 'serviceaccounts'), k.namespace, k.serviceaccount.name);
      if (!sa || sa.metadata.uid !== k.serviceaccount.uid) return null;
      return { name: claims.sub, groups: ['system:serviceaccounts', `system:serviceaccounts:${k.namespace}`, 'system:authenticated'] };
    }
    if (auth) return null;
    if (!this.cfg.anonymousAuth) return null;
    return { name: 'system:anonymous', groups: ['system:unauthenticated'] };
  }

  // ---------------------------------------------------------------- requests

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://apiserver');
    const method = req.method ?? 'GET';
    const started = Date.now();
    // httplog's line, at -v=3 like the real server
    res.on('finish', () => {
      httplog.v(3, 'HTTP', { verb: method, URI: req.url ?? '', latency: `${Date.now() - started}ms`, userAgent: req.headers['user-agent'] ?? '', srcIP: `${req.socket.remoteAddress ?? ''}:${req.socket.remotePort ?? ''}`, resp: res.statusCode });
    });
    const user = await this.authenticate(req);
    if (!user) {
      this.sendStatus(res, unauthorized());
      return;
    }
    const info = requestInfo(method, url);
    const audited = this.cfg.audit?.begin({ user, info, method, uri: req.url ?? '/', sourceIp: req.socket.remoteAddress ?? '', userAgent: req.headers['user-agent'] ?? '' });
    let allowed = false;
    if (audited) res.on('finish', () => audited(res.statusCode, allowed ? 'allow' : 'forbid'));
    try {
      allowed = await authorize(this.cfg.authorizationModes, user, info, () => this.loadRbac());
    } catch (err) {
      this.sendStatus(res, internalError(`authorization failed: ${(err as Error).message}`));
      return;
    }
    if (!allowed) {
      this.sendStatus(res, forbiddenStatus(forbiddenMessage(user, info), info.name || undefined, info.resource, info.apiGroup));
      return;
    }
    try {
      if (!info.isResourceRequest) await this.nonResource(req, res, url);
      else await this.resource(req, res, url, info, user);
    } catch (err) {
      if (err instanceof StatusError) this.sendStatus(res, err);
      else if (err instanceof EtcdError) this.sendStatus(res, internalError(err.message));
      else throw err;
    }
  }

  private healthChecks(kind: 'healthz' | 'livez' | 'readyz'): Check[] {
    const ok = async (): Promise<null> => null;
    const etcd = async (): Promise<string | null> => this.etcd.healthy();
    const booted = async (): Promise<string | null> => (this.bootstrapped ? null : 'not finished');
    const checks: Check[] = [{ name: 'ping', run: ok }, { name: 'log', run: ok }];
    if (kind !== 'livez') checks.push({ name: 'etcd', run: etcd });
    if (kind === 'readyz') checks.push({ name: 'etcd-readiness', run: etcd }, { name: 'informer-sync', run: ok });
    checks.push(
      { name: 'poststarthook/start-system-namespaces-controller', run: booted },
      { name: 'poststarthook/bootstrap-controller', run: booted },
      { name: 'poststarthook/rbac/bootstrap-roles', run: booted },
    );
    if (kind === 'readyz') checks.push({ name: 'shutdown', run: ok });
    return checks;
  }

  private async nonResource(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const health = /^\/(healthz|livez|readyz)(?:\/(.+))?$/.exec(path);
    if (health && (req.method === 'GET' || req.method === 'HEAD')) {
      const kind = health[1] as 'healthz' | 'livez' | 'readyz';
      const { code, body } = await renderHealth(kind, this.healthChecks(kind), url, health[2]);
      this.send(res, code, body);
      return;
    }
    if (path === '/version') {
      this.send(res, 200, {
        major: this.version.major,
        minor: this.version.minor,
        emulationMajor: this.version.major,
        emulationMinor: this.version.minor,
        minCompatibilityMajor: this.version.major,
        minCompatibilityMinor: String(Number(this.version.minor) - 1),
        gitVersion: this.version.gitVersion,
        gitCommit: 'kubeup-standin',
        gitTreeState: 'clean',
        buildDate: '1970-01-01T00:00:00Z',
        goVersion: `node${process.versions.node}`,
        compiler: 'gc',
        platform: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`,
      });
      return;
    }
    if (path === '/openapi/v3') {
      this.send(res, 200, rootIndex());
      return;
    }
    const openapi = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (openapi) {
      const doc = openapi[1] ? gvDocument('', openapi[1]) : gvDocument(openapi[2] as string, openapi[3] as string);
      if (doc) this.send(res, 200, doc);
      else this.send(res, 404, '404 page not found\n');
      return;
    }
    if (path === '/api') {
      this.send(res, 200, coreVersions(`${this.cfg.advertiseAddress}:${this.cfg.securePort}`));
      return;
    }
    if (path === '/apis') {
      this.send(res, 200, groupList());
      return;
    }
    const gv = /^\/api\/(v1)$/.exec(path) ?? /^\/apis\/([^/]+\/[^/]+)$/.exec(path);
    if (gv) {
      const [group, version] = gv[1]?.includes('/') ? (gv[1].split('/') as [string, string]) : ['', gv[1] as string];
      const list = resourceList(group, version);
      if (list) this.send(res, 200, list);
      else this.sendStatus(res, notFoundPath());
      return;
    }
    if (/^\/apis\/[^/]+$/.exec(path)) {
      const name = path.slice('/apis/'.length);
      const g = (groupList() as { groups: { name: string }[] }).groups.find((x) => x.name === name);
      if (g) this.send(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...g });
      else this.sendStatus(res, notFoundPath());
      return;
    }
    this.send(res, 404, '404 page not found\n');
  }

  private async resource(req: IncomingMessage, res: ServerResponse, url: URL, info: RequestInfo, user: UserInfo): Promise<void> {
    const method = req.method ?? 'GET';
    if (info.apiGroup === 'authorization.k8s.io' && info.resource === 'selfsubjectaccessreviews' && method === 'POST') {
      await this.selfSubjectAccessReview(req, res, user);
      return;
    }
    if (info.apiGroup === 'authentication.k8s.io' && info.resource === 'selfsubjectreviews' && method === 'POST') {
      await this.readBody(req, () => ({}));
      this.send(res, 201, { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: metaTime() }, status: { userInfo: { username: user.name, groups: [...user.groups] } } });
      return;
    }
    const d = findResource(info.apiGroup, info.apiVersion, info.resource);
    if (!d) {
      this.sendStatus(res, notFoundPath());
      return;
    }
    const ns = d.namespaced ? info.namespace : undefined;
    if (d.namespaced && info.namespace === '' && !['list', 'watch'].includes(info.verb)) {
      this.sendStatus(res, notFoundPath());
      return;
    }
    if (!d.verbs.includes(info.verb) && info.subresource === '') throw methodNotSupported(d.name, d.group, info.verb);
    if (info.subresource !== '' && !d.subresources.includes(info.subresource)) {
      this.sendStatus(res, notFoundPath());
      return;
    }
    const accept = req.headers.accept;

    if (d.virtual) {
      const items = await componentStatuses(this.cfg.etcdServers, this.cfg.etcdTls);
      const headers = { Warning: componentStatusWarning };
      if (info.name) {
        const item = items.find((i) => i.metadata.name === info.name);
        if (!item) throw notFound(d.name, d.group, info.name);
        if (wantsTable(accept)) this.send(res, 200, toTable(d.name, [item], '', url.searchParams.get('includeObject')), headers);
        else this.send(res, 200, item, headers);
      } else if (wantsTable(accept)) this.send(res, 200, toTable(d.name, items, '', url.searchParams.get('includeObject')), headers);
      else this.send(res, 200, { kind: 'ComponentStatusList', apiVersion: 'v1', metadata: {}, items }, headers);
      return;
    }

    switch (info.verb) {
      case 'list': {
        const { items, revision } = await this.store.list(d, ns);
        const selected = filterByLabelSelector(filterByFieldSelector(items, url.searchParams.get('fieldSelector')), url.searchParams.get('labelSelector'));
        if (wantsTable(accept)) this.send(res, 200, toTable(d.name, selected, String(revision), url.searchParams.get('includeObject')));
        else this.send(res, 200, { kind: `${d.kind}List`, apiVersion: apiVersionOf(d), metadata: { resourceVersion: String(revision) }, items: selected });
        return;
      }
      case 'watch':
        await this.watch(req, res, d, ns, url, wantsTable(accept));
        return;
      case 'get': {
        const obj = await this.store.get(d, ns, info.name);
        if (wantsTable(accept) && info.subresource === '') this.send(res, 200, toTable(d.name, [obj], obj.metadata.resourceVersion ?? '', url.searchParams.get('includeObject')));
        else this.send(res, 200, obj);
        return;
      }
      case 'create': {
        const body = await this.readBody(req);
        if (info.subresource === 'token') return this.tokenRequest(res, info, body);
        if (info.subresource === 'binding') return this.bindPod(res, info, body);
        if (info.subresource === 'eviction') return this.evictPod(res, info, body);
        const obj = this.checkBody(d, body);
        this.admit(user, info, d, obj);
        const typed = typedCreate(d, obj, url, req);
        const created = await this.create(d, ns, typed.obj);
        this.send(res, 201, created, warningHeaders(typed.warnings));
        return;
      }
      case 'update': {
        const obj = this.checkBody(d, await this.readBody(req));
        if (obj.metadata?.name && obj.metadata.name !== info.name) {
          throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${info.name})`);
        }
        const cur = await this.store.get(d, ns, info.name);
        const next = this.applySubresource(d, info.subresource, cur, { ...obj, metadata: { ...obj.metadata, name: info.name } });
        this.admit(user, info, d, next, cur);
        const typed = typedUpdate(d, cur, next, url, req, info.subresource);
        const saved = typed.unchanged ? cur : await this.store.update(d, ns, info.name, typed.obj, cur);
        this.invalidate(d);
        this.send(res, 200, saved, warningHeaders(typed.warnings));
        return;
      }
      case 'patch': {
        const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
        if (type === 'application/apply-patch+yaml') {
          const r = await appliedObject(this.applyStore(d, ns), d, info, url, req);
          this.invalidate(d);
          this.send(res, r.created ? 201 : 200, r.obj);
          return;
        }
        const body = await this.readBody(req);
        if (!['application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json'].includes(type)) {
          throw unsupportedMediaType(type);
        }
        const patchWarnings: string[] = [];
        const saved = await this.store.guaranteedUpdate(d, ns, info.name, (cur) => {
          type Json = Parameters<typeof mergePatch>[0];
          const patched = (type === 'application/json-patch+json'
            ? jsonPatch(cur as unknown as Json, body)
            : type === 'application/merge-patch+json'
              ? mergePatch(cur as unknown as Json, body as Json)
              : strategicMergePatch(cur as unknown as Json, body as Json)) as unknown as KubeObject;
          if (patched.metadata?.name !== info.name) throw badRequest('the name of the object cannot be changed by a patch');
          const typed = typedPatched(d, cur, this.applySubresource(d, info.subresource, cur, patched), url, req, info.subresource);
          patchWarnings.push(...typed.warnings);
          const next = typed.obj;
          this.admit(user, info, d, next, cur);
          // A resourceVersion in the patch is a precondition; otherwise the read version is.
          const precondition = (body as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
          return { ...next, metadata: { ...next.metadata, resourceVersion: precondition ?? cur.metadata.resourceVersion } } as KubeObject;
        });
        this.invalidate(d);
        this.send(res, 200, saved, warningHeaders(patchWarnings));
        return;
      }
      case 'delete': {
        if (d.name === 'namespaces' && systemNamespaces.includes(info.name)) {
          throw forbiddenStatus(`namespaces "${info.name}" is forbidden: this namespace may not be deleted`, info.name, 'namespaces', '');
        }
        const body = (await this.readBody(req)) as DeleteOptions | undefined;
        this.admit(user, info, d);
        if (d.name === 'pods') {
          const query = url.searchParams.get('gracePeriodSeconds');
          const grace = query !== null ? Number(query) : body?.gracePeriodSeconds;
          this.send(res, 200, await this.deletePod(info.namespace, info.name, { ...body, ...(grace !== undefined && { gracePeriodSeconds: grace }) }));
          return;
        }
        if (d.name === 'namespaces') await this.deleteNamespaceContents(info.name);
        const deleted = await this.store.delete(d, ns, info.name, body?.preconditions?.resourceVersion);
        this.invalidate(d);
        this.send(res, 200, deleted);
        return;
      }
      case 'deletecollection': {
        const { items } = await this.store.list(d, ns);
        for (const item of items) await this.store.delete(d, item.metadata.namespace, item.metadata.name);
        this.invalidate(d);
        this.send(res, 200, { kind: `${d.kind}List`, apiVersion: apiVersionOf(d), metadata: {}, items });
        return;
      }
      default:
        throw methodNotSupported(d.name, d.group, info.verb);
    }
  }

  /** What server-side apply needs from the server: the stored object, and create / update as the other verbs do them. */
  private applyStore(d: ResourceDef, ns: string | undefined) {
    return {
      get: (name: string) => this.store.tryGet(d, ns, name),
      create: (obj: KubeObject) => this.create(d, ns, obj),
      update: (name: string, next: KubeObject, cur: KubeObject) => this.store.update(d, ns, name, next, cur),
      namespace: ns,
    };
  }

  /** Admission that can refuse a write: NodeRestriction, when --enable-admission-plugins lists it. */
  private admit(user: UserInfo, info: RequestInfo, d: ResourceDef, object?: KubeObject, old?: KubeObject): void {
    if (!this.cfg.admissionPlugins.includes('NodeRestriction')) return;
    const denial = nodeRestriction({ user, info, ...(object && { object }), ...(old && { old }) });
    if (!denial) return;
    const name = info.verb === 'create' ? object?.metadata?.name : info.name;
    throw forbiddenStatus(`${qualified(d.name, d.group)}${name ? ` "${name}"` : ''} is forbidden: ${denial}`, name, d.name, d.group);
  }

  private invalidate(d: ResourceDef): void {
    if (d.group === 'rbac.authorization.k8s.io') this.rbacCache = undefined;
  }

  private checkBody(d: ResourceDef, body: unknown): KubeObject {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the body of the request must be a JSON object');
    const obj = body as KubeObject;
    if (obj.kind !== undefined && obj.kind !== d.kind) {
      throw badRequest(`the server rejected our request due to an error in our request: kind ${obj.kind} does not match the expected kind ${d.kind}`);
    }
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(d)) {
      throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersionOf(d)})`);
    }
    return { ...obj, metadata: { ...(obj.metadata ?? {}) } as KubeObject['metadata'] };
  }

  /**
   * Status subresources keep the stored spec (the real status strategies reset only spec, so label and annotation
   * changes sent through /status stay, as flannel relies on); the main resource never changes .status.
   */
  private applySubresource(d: ResourceDef, sub: string, cur: KubeObject, next: KubeObject): KubeObject {
    if (!d.subresources.includes('status')) return next;
    if (sub === 'status') {
      const { spec: _ignored, ...rest } = next as KubeObject & { spec?: unknown };
      const kept = (cur as KubeObject & { spec?: unknown }).spec;
      return { ...rest, ...(kept !== undefined && { spec: kept }), metadata: { ...next.metadata, uid: cur.metadata.uid, creationTimestamp: cur.metadata.creationTimestamp } } as KubeObject;
    }
    return { ...next, status: cur.status };
  }

  private async create(d: ResourceDef, ns: string | undefined, obj: KubeObject): Promise<KubeObject> {
    if (d.namespaced && ns) {
      const nsObj = await this.store.tryGet(def('', 'namespaces'), undefined, ns);
      if (!nsObj) throw notFound('namespaces', '', ns);
      if ((nsObj.status as { phase?: string } | undefined)?.phase === 'Terminating') {
        throw forbiddenStatus(`${d.name} "${obj.metadata.name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`, obj.metadata.name, d.name, d.group);
      }
    }
    let toStore = obj;
    if (d.name === 'namespaces') {
      toStore = { ...obj, metadata: { ...obj.metadata, labels: { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
    }
    if (d.name === 'services') toStore = await this.allocateClusterIP(obj);
    if (d.name === 'pods') toStore = { ...obj, status: { phase: 'Pending', qosClass: 'BestEffort' } };
    const created = await this.store.create(d, ns, toStore);
    this.invalidate(d);
    return created;
  }

  private async allocateClusterIP(svc: KubeObject): Promise<KubeObject> {
    const spec = { ...((svc.spec as Record<string, unknown> | undefined) ?? {}) };
    const type = (spec.type as string | undefined) ?? 'ClusterIP';
    const ports = ((spec.ports as Record<string, unknown>[] | undefined) ?? []).map((p) => ({ protocol: 'TCP', targetPort: p.port, ...p }));
    const base = ipToInt(this.cfg.serviceCidr.ip);
    const size = 2 ** (32 - this.cfg.serviceCidr.bits);
    const range = `${this.cfg.serviceCidr.ip}/${this.cfg.serviceCidr.bits}`;
    let ip = spec.clusterIP as string | undefined;
    if (ip !== 'None') {
      const { items } = await this.store.list(def('', 'services'));
      const used = new Set(items.map((s) => (s.spec as { clusterIP?: string } | undefined)?.clusterIP));
      if (ip) {
        const n = ipToInt(ip);
        if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip) || n <= base || n >= base + size - 1) {
          throw invalid('Service', svc.metadata.name, '', [{ field: 'spec.clusterIPs', message: `Invalid value: ["${ip}"]: failed to allocate IP ${ip}: provided IP is not in the valid range. The range of valid IPs is ${range}`, type: 'FieldValueInvalid' }]);
        }
        if (used.has(ip)) {
          throw invalid('Service', svc.metadata.name, '', [{ field: 'spec.clusterIPs', message: `Invalid value: ["${ip}"]: failed to allocate IP ${ip}: provided IP is already allocated`, type: 'FieldValueInvalid' }]);
        }
      } else {
        for (let n = base + 2; n < base + size - 1; n++) {
          if (!used.has(intToIp(n))) {
            ip = intToIp(n);
            break;
          }
        }
        if (!ip) throw internalError(`failed to allocate a serviceIP: range is full`);
      }
    }
    return {
      ...svc,
      spec: { sessionAffinity: 'None', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', internalTrafficPolicy: 'Cluster', ...spec, type, ports, clusterIP: ip, clusterIPs: [ip] },
      status: { loadBalancer: {} },
    };
  }

  private async deleteNamespaceContents(ns: string): Promise<void> {
    const nsDef = def('', 'namespaces');
    const cur = await this.store.get(nsDef, undefined, ns);
    await this.store.update(nsDef, undefined, ns, { ...cur, status: { phase: 'Terminating' } }, cur);
    for (const d of resources) {
      if (!d.namespaced || d.virtual) continue;
      const { items } = await this.store.list(d, ns);
      for (const item of items) {
        try {
          await this.store.delete(d, ns, item.metadata.name);
        } catch (err) {
          // deleted meanwhile by someone else: that is the outcome we want
          if (!(err instanceof StatusError && err.status.code === 404)) throw err;
        }
      }
    }
  }

  private async tokenRequest(res: ServerResponse, info: RequestInfo, body: unknown): Promise<void> {
    const sa = await this.store.get(def('', 'serviceaccounts'), info.namespace, info.name);
    const spec = ((body as { spec?: { audiences?: string[]; expirationSeconds?: number } } | undefined)?.spec) ?? {};
    let expirationSeconds = spec.expirationSeconds ?? 3600;
    if (expirationSeconds < 600) {
      throw invalid('TokenRequest', info.name, 'authentication.k8s.io', [{ field: 'spec.expirationSeconds', message: `Invalid value: ${expirationSeconds}: may not specify a duration less than 10 minutes`, type: 'FieldValueInvalid' }]);
    }
    if (this.cfg.serviceAccountMaxTokenSeconds > 0) expirationSeconds = Math.min(expirationSeconds, this.cfg.serviceAccountMaxTokenSeconds);
    const audiences = spec.audiences && spec.audiences.length > 0 ? spec.audiences : this.cfg.apiAudiences;
    const claims = newClaims({ issuer: this.cfg.serviceAccountIssuers[0] as string, audiences, namespace: info.namespace, name: info.name, uid: sa.metadata.uid ?? '', expirationSeconds });
    const token = signToken(this.cfg.serviceAccountSigningKey, claims);
    this.send(res, 201, {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name: info.name, namespace: info.namespace, creationTimestamp: metaTime() },
      spec: { audiences, expirationSeconds, boundObjectRef: null },
      status: { token, expirationTimestamp: metaTime(new Date(claims.exp * 1000)) },
    });
  }

  private async bindPod(res: ServerResponse, info: RequestInfo, body: unknown): Promise<void> {
    const target = (body as { target?: { kind?: string; name?: string } } | undefined)?.target;
    if (!target?.name) throw badRequest('Binding.target.name is required');
    const pods = def('', 'pods');
    await this.store.guaranteedUpdate(pods, info.namespace, info.name, (cur) => {
      const spec = (cur.spec as Record<string, unknown> | undefined) ?? {};
      if (spec.nodeName) throw conflict('pods', '', info.name, `pod ${info.name} is already assigned to node "${String(spec.nodeName)}"`);
      return { ...cur, spec: { ...spec, nodeName: target.name } };
    });
    this.send(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  }

  /**
   * pods/eviction as pkg/registry/core/pod/storage/eviction.go: the Eviction's name must match the URL; a pod that
   * is Pending, Succeeded, Failed or already being deleted is deleted (see deletePod) without looking at disruption budgets. This
   * stand-in serves no PodDisruptionBudgets, so for a running pod it cannot know the answer and refuses.
   */
  private async evictPod(res: ServerResponse, info: RequestInfo, body: unknown): Promise<void> {
    const ev = (body ?? {}) as { apiVersion?: string; kind?: string; metadata?: { name?: string }; deleteOptions?: DeleteOptions };
    if (ev.kind !== 'Eviction' || !['policy/v1', 'policy/v1beta1'].includes(ev.apiVersion ?? '')) {
      throw badRequest(`not a Eviction object: ${ev.apiVersion ?? ''}, Kind=${ev.kind ?? ''}`);
    }
    if (ev.metadata?.name !== info.name) throw badRequest('name in URL does not match name in Eviction object');
    const pods = def('', 'pods');
    const pod = await this.store.get(pods, info.namespace, info.name);
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    const deleting = (pod.metadata as { deletionTimestamp?: string }).deletionTimestamp !== undefined;
    if (!(phase === 'Pending' || phase === 'Succeeded' || phase === 'Failed' || deleting)) {
      throw internalError(`stand-in kube-apiserver: evicting a ${phase ?? 'phase-less'} pod needs PodDisruptionBudget checks, which this stand-in does not model`);
    }
    await this.deletePod(info.namespace, info.name, ev.deleteOptions ?? {});
    this.send(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  }

  /**
   * Pod deletion as pkg/registry/core/pod/strategy.go (CheckGracefulDelete) and apiserver's rest/delete.go
   * (BeforeDelete): the grace period is the request's, else spec.terminationGracePeriodSeconds (default 30); 0 for a
   * pod not scheduled or already terminated; negative becomes 1. With 0 the pod goes at once. Otherwise it gets
   * deletionTimestamp (now + period) and deletionGracePeriodSeconds and stays until its kubelet deletes it with 0;
   * a second request may only shorten the period.
   */
  private async deletePod(namespace: string, name: string, opts: DeleteOptions): Promise<KubeObject> {
    const pods = def('', 'pods');
    const cur = await this.store.get(pods, namespace, name);
    if (opts.preconditions?.uid !== undefined && opts.preconditions.uid !== cur.metadata.uid) {
      throw conflict('pods', '', name, `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${cur.metadata.uid ?? ''}`);
    }
    const spec = (cur.spec as { nodeName?: string; terminationGracePeriodSeconds?: number } | undefined) ?? {};
    const phase = (cur.status as { phase?: string } | undefined)?.phase;
    let period = opts.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
    if (!spec.nodeName || phase === 'Failed' || phase === 'Succeeded') period = 0;
    if (period < 0) period = 1;
    if (period === 0) return this.store.delete(pods, namespace, name, opts.preconditions?.resourceVersion);
    const meta = cur.metadata as KubeObject['metadata'] & { deletionGracePeriodSeconds?: number };
    if (meta.deletionGracePeriodSeconds !== undefined && meta.deletionGracePeriodSeconds <= period) return cur;
    const deadline = metaTime(new Date(Date.now() + period * 1000));
    return this.store.update(pods, namespace, name, { ...cur, metadata: { ...cur.metadata, deletionTimestamp: deadline, deletionGracePeriodSeconds: period } }, cur);
  }

  private async selfSubjectAccessReview(req: IncomingMessage, res: ServerResponse, user: UserInfo): Promise<void> {
    const body = (await this.readBody(req, selfSubjectAccessReviewFromProtobuf)) as { spec?: { resourceAttributes?: Record<string, string>; nonResourceAttributes?: { path?: string; verb?: string } } } | undefined;
    const ra = body?.spec?.resourceAttributes;
    const nra = body?.spec?.nonResourceAttributes;
    const info: RequestInfo = ra
      ? { isResourceRequest: true, path: '', verb: ra.verb ?? '', apiPrefix: '', apiGroup: ra.group ?? '', apiVersion: ra.version ?? '', namespace: ra.namespace ?? '', resource: ra.resource ?? '', subresource: ra.subresource ?? '', name: ra.name ?? '' }
      : { isResourceRequest: false, path: nra?.path ?? '', verb: nra?.verb ?? '', apiPrefix: '', apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '' };
    const allowed = await authorize(this.cfg.authorizationModes, user, info, () => this.loadRbac());
    this.send(res, 201, { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec: body?.spec ?? {}, status: { allowed, ...(allowed ? {} : { reason: '' }) } });
  }

  /** A simple watch: the initial state as ADDED (unless resourceVersion is given), then changes found by polling etcd. */
  private async watch(req: IncomingMessage, res: ServerResponse, d: ResourceDef, ns: string | undefined, url: URL, asTable: boolean): Promise<void> {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds') ?? '1800');
    const deadline = Date.now() + Math.max(1, timeoutSeconds) * 1000;
    let closed = false;
    req.on('close', () => {
      closed = true;
    });
    const includeObject = url.searchParams.get('includeObject');
    // kubectl get -w asks for Tables: each event then carries a one-row Table, as from the real server
    const event = (type: string, obj: KubeObject): string =>
      `${JSON.stringify({ type, object: asTable ? toTable(d.name, [obj], obj.metadata.resourceVersion ?? '', includeObject) : obj })}\n`;
    const fieldSelector = url.searchParams.get('fieldSelector');
    const labelSelector = url.searchParams.get('labelSelector');
    const snapshot = async (): Promise<Map<string, KubeObject>> => {
      const { items } = await this.store.list(d, ns);
      const selected = filterByLabelSelector(filterByFieldSelector(items, fieldSelector), labelSelector);
      return new Map(selected.map((i) => [`${i.metadata.namespace ?? ''}/${i.metadata.name}`, i]));
    };
    let known = await snapshot();
    const since = url.searchParams.get('resourceVersion');
    for (const obj of known.values()) {
      if (!since || since === '0' || Number(obj.metadata.resourceVersion) > Number(since)) res.write(event('ADDED', obj));
    }
    while (!closed && Date.now() < deadline) {
      await delay(500);
      let now: Map<string, KubeObject>;
      try {
        now = await snapshot();
      } catch (err) {
        // like the real server when storage fails under a watch: an ERROR event, then the stream ends
        const status = err instanceof StatusError ? err.status : internalError((err as Error).message).status;
        res.write(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
        break;
      }
      for (const [k, obj] of now) {
        const old = known.get(k);
        if (!old) res.write(event('ADDED', obj));
        else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) res.write(event('MODIFIED', obj));
      }
      for (const [k, obj] of known) if (!now.has(k)) res.write(event('DELETED', obj));
      known = now;
    }
    res.end();
  }
}

/** Why a presented client certificate does not authenticate (Go's x509 error texts), or null when it does. */
function clientCertFailure(sock: TLSSocket, extKeyUsage: string[] | undefined, haveClientCa: boolean): string | null {
  if (!haveClientCa) return 'x509: no --client-ca-file configured, client certificates are not accepted';
  if (!sock.authorized) {
    const code = String((sock.authorizationError as unknown as { code?: string } | null)?.code ?? sock.authorizationError ?? '');
    if (code.includes('EXPIRED') || code.includes('NOT_YET_VALID')) return 'x509: certificate has expired or is not yet valid';
    if (code.includes('PURPOSE')) return 'x509: certificate specifies an incompatible key usage';
    return 'x509: certificate signed by unknown authority';
  }
  // Like Go's verifier with ExtKeyUsageClientAuth: a certificate limited to other usages is refused.
  if (extKeyUsage && extKeyUsage.length > 0 && !extKeyUsage.includes('1.3.6.1.5.5.7.3.2') && !extKeyUsage.includes('2.5.29.37.0')) {
    return 'x509: certificate specifies an incompatible key usage';
  }
  return null;
}

function fieldValue(obj: KubeObject, path: string): string {
  const v = path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
  return v === undefined || v === null ? '' : String(v);
}

/** `metadata.name=x`, `spec.nodeName!=`, comma-separated (all must hold). */
export function filterByFieldSelector(items: KubeObject[], selector: string | null): KubeObject[] {
  if (!selector) return items;
  const terms = selector.split(',').filter((t) => t !== '').map((t) => {
    const m = /^([^!=]+)(==|!=|=)(.*)$/.exec(t);
    if (!m) throw badRequest(`invalid field selector: ${JSON.stringify(t)}`);
    return { path: m[1] as string, neg: m[2] === '!=', value: m[3] as string };
  });
  return items.filter((o) => terms.every((t) => (fieldValue(o, t.path) === t.value) !== t.neg));
}

/** Equality-based label selectors plus `key`, `!key`, `key in (a,b)`, `key notin (a,b)`. */
export function filterByLabelSelector(items: KubeObject[], selector: string | null): KubeObject[] {
  if (!selector) return items;
  const terms = selector.match(/([^,(]+(\([^)]*\))?)/g) ?? [];
  const tests = terms.map((raw) => {
    const t = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^!([^=!\s]+)$/.exec(t))) return (l: Record<string, string>) => !(m?.[1] as string in l);
    if ((m = /^([^=!\s]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(t))) {
      const [k, op, vals] = [m[1] as string, m[2], (m[3] as string).split(',').map((v) => v.trim())];
      return (l: Record<string, string>) => (op === 'in' ? k in l && vals.includes(l[k] as string) : !(k in l) || !vals.includes(l[k] as string));
    }
    if ((m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(t))) {
      const [k, op, v] = [m[1] as string, m[2], m[3] as string];
      return (l: Record<string, string>) => (op === '!=' ? l[k] !== v : l[k] === v);
    }
    if (/^[^=!\s]+$/.test(t)) return (l: Record<string, string>) => t in l;
    throw badRequest(`unable to parse requirement: ${JSON.stringify(t)}`);
  });
  return items.filter((o) => tests.every((f) => f(o.metadata.labels ?? {})));
}
