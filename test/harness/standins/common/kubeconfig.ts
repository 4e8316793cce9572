/**
 * kubeconfig loading as client-go's clientcmd does it for the fields kubeup writes: clusters, users, contexts,
 * current-context; inline *-data and file-path variants (relative paths resolve against the kubeconfig's folder).
 * Errors use clientcmd's texts: `invalid configuration: ...`, `unable to read client-cert ... due to ...`.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { StandinExit, aggregate } from './errors.js';
import { goOpenError } from './pki.js';
import { parseYamlStrict } from './yaml.js';
import { isObj, type Obj } from './objects.js';

export interface ClientConfig {
  /** The kubeconfig file it came from. */
  readonly path: string;
  readonly contextName: string;
  readonly clusterName: string;
  readonly userName: string;
  /** e.g. https://192.168.213.11:6443 */
  readonly server: string;
  readonly caPem?: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  readonly token?: string;
  readonly insecureSkipTlsVerify: boolean;
  readonly tlsServerName?: string;
}


function named(list: unknown, key: 'cluster' | 'user' | 'context', path: string): Map<string, Obj> {
  const out = new Map<string, Obj>();
  if (list === undefined || list === null) return out;
  if (!Array.isArray(list)) throw new StandinExit(`error loading config file "${path}": ${key}s must be a list`);
  for (const item of list) {
    if (!isObj(item) || typeof item.name !== 'string') {
      throw new StandinExit(`error loading config file "${path}": every entry of ${key}s needs a name`);
    }
    const body = item[key];
    if (body !== undefined && body !== null && !isObj(body)) {
      throw new StandinExit(`error loading config file "${path}": ${key}s[${item.name}].${key} must be a mapping`);
    }
    out.set(item.name, (body as Obj | undefined) ?? {});
  }
  return out;
}

function str(o: Obj, key: string): string {
  const v = o[key];
  return typeof v === 'string' ? v : '';
}

function decodeData(value: string, field: string, owner: string, path: string): string {
  const clean = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) {
    throw new StandinExit(`error loading config file "${path}": illegal base64 data in ${field} of ${owner}`);
  }
  return Buffer.from(clean, 'base64').toString('utf8');
}

/** Loads and validates a kubeconfig; `context` overrides current-context. */
export function loadKubeconfig(path: string, context?: string): ClientConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new StandinExit(`stat ${path}: ${goOpenError(path, err).replace(/^open [^:]+: /, '')}`);
  }
  let doc: unknown;
  try {
    doc = parseYamlStrict(text, path);
  } catch (err) {
    throw new StandinExit(`error loading config file "${path}": ${(err as Error).message}`);
  }
  if (!isObj(doc)) throw new StandinExit(`invalid configuration: no configuration has been provided (file ${path} is empty)`);
  if (doc.kind !== undefined && doc.kind !== 'Config') {
    throw new StandinExit(`error loading config file "${path}": no kind "${String(doc.kind)}" is registered for version "${String(doc.apiVersion)}"`);
  }
  if (doc.apiVersion !== undefined && doc.apiVersion !== 'v1') {
    throw new StandinExit(`error loading config file "${path}": no kind "Config" is registered for version "${String(doc.apiVersion)}"`);
  }
  const clusters = named(doc.clusters, 'cluster', path);
  const users = named(doc.users, 'user', path);
  const contexts = named(doc.contexts, 'context', path);
  const contextName = context ?? (typeof doc['current-context'] === 'string' ? doc['current-context'] : '');
  const base = dirname(path);
  const file = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));

  if (contextName === '') throw new StandinExit(`invalid configuration: no configuration has been provided (${path} has no current-context)`);
  const ctx = contexts.get(contextName);
  if (!ctx) throw new StandinExit(`invalid configuration: context was not found for specified context: ${contextName}`);
  const clusterName = str(ctx, 'cluster');
  const userName = str(ctx, 'user');
  const errors: string[] = [];
  const cluster = clusters.get(clusterName);
  if (!cluster) errors.push(`cluster "${clusterName}" not found for context "${contextName}"`);
  const user = userName === '' ? {} : users.get(userName);
  if (!user) errors.push(`user "${userName}" not found for context "${contextName}"`);
  if (errors.length > 0 || !cluster || !user) throw new StandinExit(`invalid configuration: ${aggregate(errors)}`);

  const server = str(cluster, 'server');
  if (server === '') errors.push(`no server found for cluster "${clusterName}"`);
  else if (!/^https?:\/\/[^/]+/.test(server)) errors.push(`host must be a URL or a host:port pair: "${server}" (cluster "${clusterName}")`);
  const insecure = cluster['insecure-skip-tls-verify'] === true;
  let caPem: string | undefined;
  const caData = str(cluster, 'certificate-authority-data');
  const caFile = str(cluster, 'certificate-authority');
  if (caData && caFile) errors.push(`certificate-authority-data and certificate-authority are both specified for ${clusterName}. certificate-authority-data will override.`);
  if (insecure && (caData || caFile)) errors.push('specifying a root certificates file with the insecure flag is not allowed');
  if (caData) caPem = decodeData(caData, 'certificate-authority-data', `cluster ${clusterName}`, path);
  else if (caFile) {
    try {
      caPem = readFileSync(file(caFile), 'utf8');
    } catch (err) {
      errors.push(`unable to read certificate-authority ${caFile} for ${clusterName} due to ${goOpenError(file(caFile), err)}`);
    }
  }

  let certPem: string | undefined;
  let keyPem: string | undefined;
  const certData = str(user, 'client-certificate-data');
  const certFile = str(user, 'client-certificate');
  const keyData = str(user, 'client-key-data');
  const keyFile = str(user, 'client-key');
  if (certData && certFile) errors.push(`client-cert-data and client-cert are both specified for ${userName}. client-cert-data will override.`);
  if (keyData && keyFile) errors.push(`client-key-data and client-key are both specified for ${userName}; client-key-data will override`);
  const hasCert = certData !== '' || certFile !== '';
  const hasKey = keyData !== '' || keyFile !== '';
  if (hasCert && !hasKey) errors.push(`client-key-data or client-key must be specified for ${userName} to use the clientCert authentication method.`);
  if (hasKey && !hasCert) errors.push(`client-cert-data or client-cert must be specified for ${userName} to use the clientCert authentication method.`);
  if (certData) certPem = decodeData(certData, 'client-certificate-data', `user ${userName}`, path);
  else if (certFile) {
    try {
      certPem = readFileSync(file(certFile), 'utf8');
    } catch (err) {
      errors.push(`unable to read client-cert ${certFile} for ${userName} due to ${goOpenError(file(certFile), err)}`);
    }
  }
  if (keyData) keyPem = decodeData(keyData, 'client-key-data', `user ${userName}`, path);
  else if (keyFile) {
    try {
      keyPem = readFileSync(file(keyFile), 'utf8');
    } catch (err) {
      errors.push(`unable to read client-key ${keyFile} for ${userName} due to ${goOpenError(file(keyFile), err)}`);
    }
  }
  const token = str(user, 'token') || undefined;
  if (errors.length > 0) throw new StandinExit(`invalid configuration: ${aggregate(errors)}`);
  const tlsServerName = str(cluster, 'tls-server-name') || undefined;
  return {
    path,
    contextName,
    clusterName,
    userName,
    server: server.replace(/\/+$/, ''),
    insecureSkipTlsVerify: insecure,
    ...(caPem !== undefined ? { caPem } : {}),
    ...(certPem !== undefined ? { certPem } : {}),
    ...(keyPem !== undefined ? { keyPem } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(tlsServerName !== undefined ? { tlsServerName } : {}),
  };
}
