// The step strip's short names: one word per phase, unless two phases would read the same.
import { describe, expect, it } from 'vitest';
import { shortName } from '../../components/run/PhaseBar.js';

describe('shortName', () => {
  const names = ['Preflight', 'Download releases', 'Provision hosts', 'Cluster roles', 'Verify daemons', 'Cluster add-ons', 'Kubeconfig'];
  it('keeps the first word of a name no other phase starts with', () => {
    expect(shortName('Provision hosts', names)).toBe('Provision');
    expect(shortName('Kubeconfig', names)).toBe('Kubeconfig');
  });
  it('keeps two words where phases start alike, so the strip never shows "Cluster" twice', () => {
    expect(shortName('Cluster roles', names)).toBe('Cluster roles');
    expect(shortName('Cluster add-ons', names)).toBe('Cluster add-ons');
  });
});
