// The whole run screen, drawn from the store's state and the terminal size only: header (phases, downloads), the
// hosts (panes, compact lines, or one host's log), and the key help or the cancel question at the bottom. Every
// block keeps its rows for the whole run, and the frame stays a row shorter than the terminal: a frame as tall as
// the screen makes Ink clear the terminal, scrollback included (the question asked before the run went with it).
// Once the run has ended the frame keeps the phases and the failed hosts (alike ones in one pane); the CLI prints
// the end report (warnings, host table, verdict, next steps) below it.
import React from 'react';
import { Box, Text } from 'ink';
import { nothingChanged } from '../../src/tasks/end-report.js';
import { causeOf, groupBy, hostRanges } from '../../src/tasks/host-ranges.js';
import type { HostView, RunState, Transfer } from '../../src/tasks/run-store.js';
import { formatBytes, formatDuration, plural } from './format.js';
import { HostLine } from './HostLine.js';
import { HostPane } from './HostPane.js';
import { chooseLayout, PANE_HEIGHT } from './layout.js';
import { LogView } from './LogView.js';
import { packPhases, PhaseBar, phaseLabel } from './PhaseBar.js';
import { failedHostIndexes, hostLabel } from './selectors.js';
import type { RunTheme } from './theme.js';
import { TransferBar } from './TransferBar.js';

/** Download bars shown at once; the block's last row counts them all. */
const DOWNLOAD_BARS = 2;
const DOWNLOAD_ROWS = DOWNLOAD_BARS + 1;

export interface RunViewProps {
  readonly state: RunState;
  readonly now: number;
  readonly columns: number;
  readonly rows: number;
  readonly theme: RunTheme;
}

const isDownload = (name: string) => /download/i.test(name);
const finishedTransfer = (d: Transfer) => d.total !== undefined && d.done >= d.total;

function Downloads({ state, width, theme }: { state: RunState; width: number; theme: RunTheme }) {
  const phase = state.phases.find((p) => isDownload(p.name));
  const running = phase?.state === 'running';
  const bars = running ? [...state.downloads.filter((d) => !finishedTransfer(d)), ...state.downloads.filter(finishedTransfer)].slice(0, DOWNLOAD_BARS) : [];
  const total = state.downloads.reduce((n, d) => n + (d.total ?? d.done), 0);
  const done = state.downloads.reduce((n, d) => n + d.done, 0);
  const more = state.downloads.length - bars.length;
  const summary = !phase || phase.state === 'waiting'
    ? '↓ downloads: after preflight'
    : running
      ? `↓ ${state.downloads.filter(finishedTransfer).length}/${plural(state.downloads.length, 'download')} · ${formatBytes(done)} of ${formatBytes(total)}${more > 0 ? ` · … and ${more} more` : ''}`
      : `↓ ${phase.title.replace(/^Download releases:\s*/, '')}`;
  return (
    <Box flexDirection="column" height={DOWNLOAD_ROWS}>
      {bars.map((d) => (
        <TransferBar key={d.name} transfer={d} direction="download" width={width} theme={theme} />
      ))}
      {Array.from({ length: DOWNLOAD_BARS - bars.length }, (_, i) => (
        <Text key={`pad${i}`}> </Text>
      ))}
      <Text wrap="truncate-end" {...theme.dim}>
        {summary}
      </Text>
    </Box>
  );
}

function Footer({ state, theme }: { state: RunState; theme: RunTheme }) {
  if (state.confirmingCancel) {
    return (
      <Text wrap="truncate-end" {...theme.warning}>
        Cancel the {state.command === 'upgrade' ? 'upgrade' : 'deploy'}? Running steps finish first; nothing is left half-written. [y/N]
      </Text>
    );
  }
  if (state.cancelRequested) {
    return (
      <Text wrap="truncate-end" {...theme.warning}>
        Cancelling: waiting for the running steps to finish…
      </Text>
    );
  }
  return (
    <Text wrap="truncate-end" {...theme.help}>
      {state.expanded ? 'Enter/Esc back  ↑/↓ Tab other host  q cancel' : '↑/↓ Tab focus a host  Enter its log  q cancel'}
    </Text>
  );
}

function HostsBody({ state, columns, rows, now, theme }: { state: RunState; columns: number; rows: number; now: number; theme: RunTheme }) {
  const failed = failedHostIndexes(state);
  const layout = chooseLayout({ hosts: state.hosts.length, focus: state.focus, failed, columns, rows });
  if (layout.mode === 'panes') {
    const lines: HostView[][] = [];
    state.hosts.forEach((h, i) => (i % layout.columns === 0 ? lines.push([h]) : lines[lines.length - 1]!.push(h)));
    return (
      <Box flexDirection="column">
        {lines.map((line, r) => (
          <Box key={r}>
            {line.map((h, c) => (
              <HostPane key={h.id} host={h} width={layout.paneWidth} focused={r * layout.columns + c === state.focus} now={now} theme={theme} />
            ))}
          </Box>
        ))}
      </Box>
    );
  }
  const above = layout.first;
  const below = state.hosts.length - layout.first - layout.count;
  return (
    <Box flexDirection="column">
      {above > 0 ? <Text {...theme.dim}>↑ {plural(above, 'more host')}</Text> : null}
      {state.hosts.slice(layout.first, layout.first + layout.count).map((h, i) => (
        <HostLine key={h.id} host={h} focused={layout.first + i === state.focus} width={columns} theme={theme} />
      ))}
      {below > 0 ? <Text {...theme.dim}>↓ {plural(below, 'more host')}</Text> : null}
      {layout.expanded.map((i) => (
        <HostPane key={state.hosts[i]!.id} host={state.hosts[i]!} width={columns} focused={i === state.focus} now={now} theme={theme} />
      ))}
    </Box>
  );
}

/** The failed hosts once the run has ended: hosts that failed alike share one pane, as many as fit. */
function FailedPanes({ state, width, rows, now, theme }: { state: RunState; width: number; rows: number; now: number; theme: RunTheme }) {
  const failed = failedHostIndexes(state).map((i) => state.hosts[i]!);
  const groups = groupBy(failed, (h) => causeOf(h.error ?? ''));
  const fit = Math.max(0, Math.floor(rows / PANE_HEIGHT));
  const shown = groups.slice(0, fit);
  return (
    <Box flexDirection="column">
      {shown.map((g) => (
        <HostPane key={g.items[0]!.id} host={g.items[0]!} width={width} focused={false} now={now} theme={theme} {...(g.items.length > 1 && { title: hostRanges(g.items.map(hostLabel)) })} />
      ))}
      {groups.length > shown.length ? <Text {...theme.dim}>{`… and ${plural(groups.length - shown.length, 'more failure')} (below)`}</Text> : null}
    </Box>
  );
}

function outcomeWord(state: RunState): { text: string; ok: boolean } | undefined {
  const f = state.finished;
  if (!f) return undefined;
  if (f.ok) return { text: nothingChanged(state) ? `No changes – ${plural(state.hosts.length, 'host')} up to date` : 'done', ok: true };
  return { text: state.cancelRequested ? 'cancelled' : 'FAILED', ok: false };
}

export function RunView({ state, now, columns, rows, theme }: RunViewProps) {
  const width = Math.max(20, columns);
  const end = state.finished?.at ?? now;
  const short = packPhases(state.phases.map((p) => phaseLabel(p, 0)), width).length > 2;
  const phaseLines = packPhases(state.phases.map((p) => phaseLabel(p, 0, short, state.phases)), width).length;
  const live = !state.finished;
  // Title, phases and their detail line, the download block; the warning line and the footer below the hosts.
  const headerRows = 1 + phaseLines + 1 + (live ? DOWNLOAD_ROWS : 0);
  const bodyRows = Math.max(PANE_HEIGHT, rows - 1 - headerRows - (live ? 2 : 0));
  const focused = state.hosts[state.focus];
  const outcome = outcomeWord(state);
  const lastWarning = state.warnings[state.warnings.length - 1];
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Text {...theme.title}>kubeup {state.command ?? 'up'} {state.contextName ?? ''}</Text>
        <Text {...theme.dim}>
          {`  ${plural(state.hosts.length, 'host')}`}
          {state.startedAt !== undefined ? `  ${formatDuration(end - state.startedAt)}` : ''}
        </Text>
        {outcome ? <Text {...(outcome.ok ? theme.success : theme.error)}>{`  ${outcome.text}`}</Text> : null}
      </Text>
      <PhaseBar phases={state.phases} now={now} width={width} short={short} theme={theme} />
      {live ? <Downloads state={state} width={width} theme={theme} /> : null}
      {!live ? (
        <FailedPanes state={state} width={width} rows={rows - 1 - headerRows} now={now} theme={theme} />
      ) : state.expanded && focused ? (
        <LogView host={focused} {...(state.logDir !== undefined && { logDir: state.logDir })} width={width} rows={Math.max(3, bodyRows - 2)} theme={theme} />
      ) : (
        <HostsBody state={state} columns={width} rows={bodyRows} now={now} theme={theme} />
      )}
      {live ? (
        <Text wrap="truncate-end" {...theme.warning}>
          {lastWarning ? `${plural(state.warnings.length, 'warning')} (listed at the end); last: ${lastWarning.message}` : ' '}
        </Text>
      ) : null}
      {live ? <Footer state={state} theme={theme} /> : null}
    </Box>
  );
}
