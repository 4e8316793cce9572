/**
 * v1 ComponentStatus, computed on every read like the real (deprecated) API: HTTPS GET /healthz of the scheduler
 * (127.0.0.1:10259) and the controller-manager (127.0.0.1:10257), certificates not verified as the real probe
 * does, and an etcd health read per --etcd-servers entry (etcd-0, etcd-1, ...).
 */
import { request } from 'node:https';
import type { KubeObject } from '../client.js';
import { EtcdClient, type EtcdTls } from './etcd.js';

export const componentStatusWarning = '299 - "v1 ComponentStatus is deprecated in v1.19+"';

function probeHttps(url: string, timeoutMs: number): Promise<{ ok: boolean; message: string }> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', rejectUnauthorized: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 200) resolve({ ok: true, message: body });
        else resolve({ ok: false, message: `HTTP probe failed with statuscode: ${res.statusCode}` });
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const u = new URL(url);
      const addr = `${u.hostname}:${u.port}`;
      const why = err.code === 'ECONNREFUSED' ? 'connect: connection refused' : err.code === 'ETIMEDOUT' ? 'i/o timeout' : err.message;
      resolve({ ok: false, message: `Get "${url}": dial tcp ${addr}: ${why}` });
    });
    req.end();
  });
}

function status(name: string, ok: boolean, message: string): KubeObject {
  return {
    kind: 'ComponentStatus',
    apiVersion: 'v1',
    metadata: { name },
    conditions: [{ type: 'Healthy', status: ok ? 'True' : 'False', message }],
  };
}

export async function componentStatuses(etcdServers: readonly string[], etcdTls: EtcdTls, timeoutMs = 5000): Promise<KubeObject[]> {
  const servers = [
    { name: 'controller-manager', url: 'https://127.0.0.1:10257/healthz' },
    { name: 'scheduler', url: 'https://127.0.0.1:10259/healthz' },
  ];
  const probes = servers.map(async (s) => {
    const r = await probeHttps(s.url, timeoutMs);
    return status(s.name, r.ok, r.message);
  });
  const etcdProbes = etcdServers.map(async (server, i) => {
    const client = new EtcdClient([server], etcdTls, timeoutMs);
    try {
      const err = await client.healthy(timeoutMs);
      return status(`etcd-${i}`, err === null, err === null ? 'ok' : err);
    } finally {
      client.close();
    }
  });
  const all = await Promise.all([...probes, ...etcdProbes]);
  return all.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
}
