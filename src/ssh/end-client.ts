// Closing ssh2 connections without hanging on ones that are already gone.

import type { Client } from 'ssh2';

const CLOSE_WAIT_MS = 5000;
const closed = new WeakSet<Client>();

/** Remembers when a connection closes (call right after creating it). */
export function trackClose(client: Client): void {
  client.once('close', () => closed.add(client));
}

export function isClosed(client: Client): boolean {
  return closed.has(client);
}

/** Ends an ssh2 connection and waits until it is closed (at most a few seconds: a dead peer never answers). */
export function endClient(client: Client): Promise<void> {
  if (closed.has(client)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.destroy();
      resolve();
    }, CLOSE_WAIT_MS);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    client.end();
  });
}
