// The command messages suggest is one the user can run: after the README's `npm ci && npm start` there is no
// `kubeup` on the PATH.
import { describe, expect, it } from 'vitest';
import { kubeupCommand } from '../../../src/invocation.js';

describe('kubeupCommand', () => {
  it('is `npm start --` under kubeup\'s own npm start, else `kubeup`', () => {
    expect(kubeupCommand({ npm_lifecycle_event: 'start', npm_package_name: 'kubeup' })).toBe('npm start --');
    expect(kubeupCommand({ npm_lifecycle_event: 'start', npm_package_name: 'other-project' })).toBe('kubeup');
    expect(kubeupCommand({ npm_lifecycle_event: 'test', npm_package_name: 'kubeup' })).toBe('kubeup');
    expect(kubeupCommand({})).toBe('kubeup');
  });
});
