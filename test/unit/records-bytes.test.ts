import { describe, expect, it } from 'vitest';
import { emptyRecord } from '../../src/provision/execute.js';
import { bytesText, formatSummary, totalBytesText, type RunSummary } from '../../src/tasks/records.js';

const MiB = 1024 * 1024;

describe('bytes delivered and on the wire', () => {
  it('a host line gives both figures when they differ, one when nothing was compressed', () => {
    expect(bytesText({ bytesUploaded: 98 * MiB, wireBytes: 31.25 * MiB })).toBe('98.0 MiB delivered, 31.3 MiB on the wire');
    expect(bytesText({ bytesUploaded: 2048, wireBytes: 2048 })).toBe('2.0 KiB');
    expect(bytesText({ bytesUploaded: 10 * MiB, wireBytes: 0 })).toBe('10.0 MiB delivered, 0 B on the wire');
  });

  it('the total adds every host and gives the wire share', () => {
    expect(totalBytesText([{ bytesUploaded: 300 * MiB, wireBytes: 90 * MiB }, { bytesUploaded: 100 * MiB, wireBytes: 30 * MiB }])).toBe('2 hosts: 400.0 MiB delivered, 120.0 MiB on the wire (30 %)');
    expect(totalBytesText([{ bytesUploaded: 0, wireBytes: 0 }])).toBe('1 host: 0 B delivered, 0 B on the wire');
  });

  it('summary.txt has a column for each and a total line', () => {
    const rec = (delivered: number, wire: number) => ({ ...emptyRecord(), filesChanged: ['/opt/bin/kubelet'], bytesUploaded: delivered, wireBytes: wire });
    const s: RunSummary = {
      profile: 'lab', command: 'up', runId: 'r', startedAt: '2026-12-02T06:00:00.000Z', ok: true, phases: [], peakRssBytes: MiB,
      hosts: { '192.168.213.11': { phases: {}, record: rec(500 * MiB, 150 * MiB) }, '192.168.213.12': { phases: {}, record: rec(230 * MiB, 70 * MiB) }, '192.168.213.13': { phases: {} } },
    };
    const lines = formatSummary(s).split('\n');
    expect(lines).toContain('host                     delivered    on wire  files changed  unchanged  restarted / started');
    expect(lines.find((l) => l.startsWith('192.168.213.11'))).toMatch(/^192\.168\.213\.11 +500\.0 MiB +150\.0 MiB +1 +0 {2}none$/);
    expect(lines.find((l) => l.startsWith('192.168.213.13'))).toMatch(/^192\.168\.213\.13 +- +- +- +- +-$/);
    expect(lines.find((l) => l.startsWith('total'))).toMatch(/^total +730\.0 MiB +220\.0 MiB$/);
  });
});
