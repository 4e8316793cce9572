// Connections to jump hosts, shared between the sessions that go through them. Sessions only open forwarded TCP
// channels on a jump connection, which do not count against the bastion's MaxSessions.

import type { Client } from 'ssh2';
import { endpointLabel, type ConnectOptions, type SshEndpoint } from './endpoint.js';
import { endClient } from './end-client.js';
import { openClient } from './open-client.js';

export interface JumpLease {
  client: Client;
  /** Gives the connection back; the last lease of a pooled connection (or an unpooled one) closes it. */
  release(): Promise<void>;
}

interface PoolEntry {
  client: Promise<Client>;
  leases: number;
}

export class JumpHostPool {
  private readonly entries = new Map<string, PoolEntry>();

  async acquire(endpoint: SshEndpoint, opts: ConnectOptions): Promise<JumpLease> {
    const key = endpointLabel(endpoint);
    let entry = this.entries.get(key);
    if (!entry) {
      const client = openClient(endpoint, opts);
      const created: PoolEntry = { client, leases: 0 };
      entry = created;
      this.entries.set(key, created);
      // A failed or dropped connection leaves the pool, so the next session opens a fresh one.
      client.then(
        (c) => c.once('close', () => this.forget(key, created)),
        () => this.forget(key, created),
      );
    }
    entry.leases++;
    let client: Client;
    try {
      client = await entry.client;
    } catch (err) {
      entry.leases--;
      throw err;
    }
    const held = entry;
    let released = false;
    return {
      client,
      release: async () => {
        if (released) return;
        released = true;
        if (--held.leases === 0) {
          this.forget(key, held);
          await endClient(client);
        }
      },
    };
  }

  /** Closes every pooled connection, leased or not (end of a run). */
  async closeAll(): Promise<void> {
    const clients = [...this.entries.values()].map((e) => e.client);
    this.entries.clear();
    await Promise.allSettled(clients.map(async (c) => endClient(await c)));
  }

  get size(): number {
    return this.entries.size;
  }

  private forget(key: string, entry: PoolEntry): void {
    if (this.entries.get(key) === entry) this.entries.delete(key);
  }
}

/** A jump connection for one session only (no pool given). */
export async function openJumpAlone(endpoint: SshEndpoint, opts: ConnectOptions): Promise<JumpLease> {
  const client = await openClient(endpoint, opts);
  return { client, release: () => endClient(client) };
}
