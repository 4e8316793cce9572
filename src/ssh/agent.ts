// Asks an ssh-agent socket whether it answers and how many keys it holds. ssh2 aborts the whole connection when the
// agent socket is dead, so the agent is only offered after this probe succeeds.

import { connect } from 'node:net';

export type AgentProbe = { ok: true; keys: number } | { ok: false; reason: string };

const SSH_AGENTC_REQUEST_IDENTITIES = 11;
const SSH_AGENT_IDENTITIES_ANSWER = 12;

export function probeAgent(socketPath: string, timeoutMs = 2000): Promise<AgentProbe> {
  return new Promise((resolve) => {
    let answer = Buffer.alloc(0);
    let settled = false;
    const finish = (result: AgentProbe) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const socket = connect(socketPath);
    const timer = setTimeout(() => finish({ ok: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
    socket.on('connect', () => socket.write(Buffer.from([0, 0, 0, 1, SSH_AGENTC_REQUEST_IDENTITIES])));
    socket.on('data', (chunk: Buffer) => {
      answer = Buffer.concat([answer, chunk]);
      // Reply: uint32 length, byte type, uint32 key count, then the keys (not needed here).
      if (answer.length < 5) return;
      if (answer[4] !== SSH_AGENT_IDENTITIES_ANSWER) {
        finish({ ok: false, reason: `unexpected answer type ${answer[4]}` });
        return;
      }
      if (answer.length < 9) return;
      finish({ ok: true, keys: answer.readUInt32BE(5) });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, reason: err.code ?? err.message }));
    socket.on('close', () => finish({ ok: false, reason: 'the agent closed the connection' }));
  });
}
