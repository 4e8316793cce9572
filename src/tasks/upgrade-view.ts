// The upgrade's events (src/tasks/upgrade.ts) as the run store's, so that `kubeup upgrade` in a terminal gets the
// same live view as `up`: one task per phase of UPGRADE_PHASES, one per host and phase it takes part in (its pane's
// checklist), each action as the host's status line (cordon, drain, ...), each host's version move on its pane, and
// the hosts already at the target as a skipped step.
import { UPGRADE_PHASES, type UpgradePhase } from '../plan/upgrade.js';
import type { RunEvent, RunState, RunStore } from './run-store.js';
import type { UpgradeEvent } from './upgrade.js';

const phaseTask = (p: UpgradePhase) => `upgrade:${p}`;
const hostTask = (host: string, p: UpgradePhase) => `upgrade:${p}:${host}`;

/** The phase where a host that has nothing to do shows it: its last one. */
const lastPhaseOf = (roles: readonly string[]): UpgradePhase => (roles.includes('worker') ? 'workers' : 'controllers');

/** The run events of one upgrade event at `at`; `state` is read for the hosts' roles. */
export function upgradeRunEvents(e: UpgradeEvent, at: number, state: RunState): RunEvent[] {
  switch (e.type) {
    case 'phase': {
      const taskId = phaseTask(e.phase);
      return [
        ...(e.title !== undefined ? [{ type: 'task-title' as const, taskId, title: e.title, at }] : []),
        ...(e.error !== undefined ? [{ type: 'task-error' as const, taskId, message: e.error, at }] : []),
        { type: 'task-state', taskId, state: e.state, at },
      ];
    }
    case 'hosts': {
      const out: RunEvent[] = e.moves.map((m) => ({ type: 'host-version', host: m.host, ...(m.from !== undefined && { from: m.from }), to: m.to }));
      for (const p of e.parts) out.push({ type: 'task-added', taskId: hostTask(p.host, p.phase), parentId: phaseTask(p.phase), title: p.host, at });
      for (const host of e.alreadyDone) {
        const roles = state.hosts.find((h) => h.id === host)?.roles ?? [];
        const taskId = hostTask(host, lastPhaseOf(roles));
        const to = e.moves.find((m) => m.host === host)?.to;
        out.push(
          { type: 'task-added', taskId, parentId: phaseTask(lastPhaseOf(roles)), title: host, at },
          { type: 'task-title', taskId, title: `${host}: skipped: already at v${to}`, at },
          { type: 'task-state', taskId, state: 'skipped', at },
        );
      }
      return out;
    }
    case 'host': {
      const taskId = hostTask(e.host, e.phase);
      return [
        ...(e.result !== undefined ? [{ type: 'task-title' as const, taskId, title: `${e.host}: ${e.result}`, at }] : []),
        ...(e.error !== undefined ? [{ type: 'task-error' as const, taskId, message: e.error, at }] : []),
        { type: 'task-state', taskId, state: e.state, at },
      ];
    }
    case 'action':
      return [{ type: 'task-output', taskId: hostTask(e.host, e.phase), output: e.text, at }];
  }
}

/** Feeds a store from an upgrade run: the phases are added with the first event, in their order. */
export function upgradeViewFeed(store: RunStore, now: () => number = Date.now): (e: UpgradeEvent) => void {
  let added = false;
  return (e) => {
    const at = now();
    if (!added) {
      added = true;
      for (const p of UPGRADE_PHASES) store.dispatch({ type: 'task-added', taskId: phaseTask(p.id), title: p.name, at });
    }
    for (const r of upgradeRunEvents(e, at, store.getSnapshot())) store.dispatch(r);
  };
}
