import { describe, expect, it } from 'vitest';
import { parseOutputLine, progressThrottle, remoteLine, transferLine } from '../../src/tasks/progress.js';

describe('task output lines', () => {
  it('round-trips transfers, remote lines and status', () => {
    expect(parseOutputLine(transferLine('upload', '/opt/bin/kubelet', 1024, 4096))).toEqual({ kind: 'transfer', what: 'upload', name: '/opt/bin/kubelet', done: 1024, total: 4096 });
    expect(parseOutputLine(transferLine('download', 'kubernetes/amd64/kubelet', 5))).toEqual({ kind: 'transfer', what: 'download', name: 'kubernetes/amd64/kubelet', done: 5 });
    expect(transferLine('upload', '/opt/bin/kubelet', 1024 * 1024, 4 * 1024 * 1024)).toBe('upload /opt/bin/kubelet: 1.0 MiB of 4.0 MiB [1048576/4194304]');
    expect(parseOutputLine(remoteLine('stderr', 'E0101 oops'))).toEqual({ kind: 'remote', stream: 'stderr', text: 'E0101 oops' });
    expect(parseOutputLine('starting kubelet.service')).toEqual({ kind: 'status', text: 'starting kubelet.service' });
  });

  it('lets through the start, each tenth and the end of a transfer', () => {
    const due = progressThrottle();
    const seen = [0, 5, 10, 15, 21, 99, 100].filter((d) => due('f', d, 100));
    expect(seen).toEqual([0, 10, 21, 99, 100]);
  });
});
