// A cancel while the jump host is still opening its channel to the target (a silent target keeps the bastion's connect
// waiting for minutes) takes effect at once; the lease is given back, and a channel that opens later is closed.
import { describe, expect, it } from 'vitest';
import type { Client } from 'ssh2';
import { CancelledError } from '../../../src/errors.js';
import { connect, type JumpHostPool } from '../../../src/ssh/client.js';

describe('connect through a jump host', () => {
  it('gives up at once on a cancel while the bastion has not answered the forward', async () => {
    let opened: ((err: Error | undefined, stream: { destroy(): void }) => void) | undefined;
    let released = 0;
    let destroyed = 0;
    const bastion = { forwardOut: (_a: string, _b: number, _h: string, _p: number, cb: typeof opened) => (opened = cb) } as unknown as Client;
    const pool = { acquire: async () => ({ client: bastion, release: async () => void released++ }) } as unknown as JumpHostPool;
    const controller = new AbortController();
    const jump = { host: '10.0.0.1', port: 22, user: 'admin', field: 'ssh.jumpHost', auth: {} };
    const pending = connect({ host: '10.0.0.2', port: 22, user: 'root', field: 'hosts[0]', auth: {}, jump }, { jumpHosts: pool, signal: controller.signal });
    await new Promise((r) => setTimeout(r, 20));
    expect(opened).toBeDefined();
    const started = Date.now();
    controller.abort();
    const err = await pending.catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(500);
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as Error).message).toBe('cancelled while connecting to root@10.0.0.2:22 through jump host admin@10.0.0.1:22');
    expect(released).toBe(1);
    opened!(undefined, { destroy: () => void destroyed++ });
    expect(destroyed).toBe(1);
  });
});
