// The private bridge the hosts sit on. It exists only on this machine; nothing is routed beyond it.

import { BRIDGE, BRIDGE_ADDRESS, PREFIX_LENGTH } from './paths.js';
import { run } from './run.js';

export async function bridgeExists(): Promise<boolean> {
  const r = await run(['ip', 'link', 'show', 'dev', BRIDGE], { allowFailure: true });
  return r.code === 0;
}

export async function ensureBridge(): Promise<void> {
  if (!(await bridgeExists())) await run(['ip', 'link', 'add', BRIDGE, 'type', 'bridge']);
  const addrs = await run(['ip', '-o', '-4', 'addr', 'show', 'dev', BRIDGE]);
  if (!addrs.stdout.includes(`inet ${BRIDGE_ADDRESS}/${PREFIX_LENGTH}`)) {
    await run(['ip', 'addr', 'add', `${BRIDGE_ADDRESS}/${PREFIX_LENGTH}`, 'dev', BRIDGE]);
  }
  await run(['ip', 'link', 'set', BRIDGE, 'up']);
}

export async function removeBridge(): Promise<void> {
  if (await bridgeExists()) await run(['ip', 'link', 'del', BRIDGE]);
}
