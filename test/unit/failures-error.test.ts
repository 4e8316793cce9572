// The run's error after a per-host phase: hosts that failed for one cause are listed once, together, and one hint
// that all of them give becomes the run's hint. Unit failures carry their cause as data (fidelity-units'
// UnitFailureError: unit, state, restarts, errorLine, profileField, journal); other errors are compared as text.
import { describe, expect, it } from 'vitest';
import { VerifyError } from '../../src/errors.js';
import { failuresError } from '../../src/tasks/up.js';

/** A unit failure shaped like src/verify/units.ts' UnitFailureError (fidelity-units). */
function unitFailure(host: string, restarts: number): Error {
  const errorLine = 'Error: unknown flag: --no-such-flag';
  const journal = `${errorLine}\n(58 lines of usage text cut)\nkubelet.service: Main process exited, code=exited, status=1/FAILURE\nkubelet.service: Scheduled restart job, restart counter is at ${restarts}.`;
  return Object.assign(
    new VerifyError(`kubelet.service exited and was restarted ${restarts}×: ${errorLine} (profile field extraArgs.kubelet[0])\n--- kubelet.service, last journal lines:\n${journal}`, {
      host,
      hint: 'fix extraArgs.kubelet[0] in the profile (the unit refused it) and run kubeup up again',
    }),
    { failures: [{ host, unit: 'kubelet.service', state: 'restarting', restarts, errorLine, profileField: 'extraArgs.kubelet[0]', journal }] },
  );
}

describe('failuresError', () => {
  it('lists hosts with one cause once, with their range, and lifts the hint they share', () => {
    const failures = new Map<string, Error>(['192.168.213.12', '192.168.213.13', '192.168.213.14'].map((h, i) => [h, unitFailure(h, 3 + i)]));
    const e = failuresError('verify-cluster', failures, VerifyError)!;
    const lines = e.message.split('\n');
    expect(lines[0]).toBe('verify-cluster failed on 3 hosts:');
    expect(lines[1]).toBe('  - 192.168.213.12–14: kubelet.service exited and was restarted 3×: Error: unknown flag: --no-such-flag (profile field extraArgs.kubelet[0])');
    expect(lines.filter((l) => l.startsWith('  - '))).toHaveLength(1);
    expect(e.hint).toBe('fix extraArgs.kubelet[0] in the profile (the unit refused it) and run kubeup up again');
    expect(e.message).not.toContain('hint:');
  });

  it('keeps different causes apart, and a generic hint when they differ', () => {
    const failures = new Map<string, Error>([
      ['192.168.213.12', unitFailure('192.168.213.12', 3)],
      ['192.168.213.13', new VerifyError('flanneld.service failed', { host: '192.168.213.13', hint: 'look at flanneld' })],
    ]);
    const e = failuresError('verify-cluster', failures, VerifyError)!;
    expect(e.message.split('\n').filter((l) => l.startsWith('  - ')).map((l) => l.slice(0, 40))).toEqual(['  - 192.168.213.12: kubelet.service exit', '  - 192.168.213.13: flanneld.service fai']);
    expect(e.hint).toMatch(/^fix the problem on the host\(s\) above/);
  });
});
