// The whole run screen, drawn from the store's state and the terminal size only: header (phases, downloads), the
// hosts (panes, compact lines, or one host's log), the summary once the run ended, and the key help or the cancel
// question at the bottom.
import React from 'react';
import { Box, Text } from 'ink';
import type { HostView, RunState } from '../../src/tasks/run-store.js';
import { formatDuration, plural } from './format.js';
import { HostLine } from './HostLine.js';
import { HostPane } from './HostPane.js';
import { chooseLayout, PANE_HEIGHT } from './layout.js';
import { LogView } from './LogView.js';
import { packPhases, PhaseBar, phaseLabel } from './PhaseBar.js';
import { failedHostIndexes } from './selectors.js';
import { Summary } from './Summary.js';
import type { RunTheme } from './theme.js';
import { TransferBar } from './TransferBar.js';

const MAX_DOWNLOAD_LINES = 4;
/** Lines of a failed host's error in the final screen (the CLI prints the whole error after the view). */
const FINAL_ERROR_LINES = 12;

export interface RunViewProps {
  readonly state: RunState;
  readonly now: number;
  readonly columns: number;
  readonly rows: number;
  readonly theme: RunTheme;
}

function visibleDownloads(state: RunState) {
  const running = state.phases.some((p) => p.state === 'running' && /download/i.test(p.name));
  if (!running) return { shown: [], more: 0 };
  const unfinished = state.downloads.filter((d) => d.total === undefined || d.done < d.total);
  const finished = state.downloads.filter((d) => d.total !== undefined && d.done >= d.total);
  const ordered = [...unfinished, ...finished];
  return { shown: ordered.slice(0, MAX_DOWNLOAD_LINES), more: Math.max(0, ordered.length - MAX_DOWNLOAD_LINES) };
}

function Footer({ state, theme }: { state: RunState; theme: RunTheme }) {
  if (state.finished) return null;
  if (state.confirmingCancel) {
    return (
      <Text wrap="truncate-end" {...theme.warning}>
        Cancel the deploy? Running steps finish first; nothing is left half-written. [y/N]
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

function HostsBody({ state, columns, rows, theme }: { state: RunState; columns: number; rows: number; theme: RunTheme }) {
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
              <HostPane key={h.id} host={h} width={layout.paneWidth} focused={r * layout.columns + c === state.focus} theme={theme} />
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
        <HostPane key={state.hosts[i]!.id} host={state.hosts[i]!} width={columns} focused={i === state.focus} theme={theme} />
      ))}
    </Box>
  );
}

export function RunView({ state, now, columns, rows, theme }: RunViewProps) {
  const width = Math.max(20, columns);
  const end = state.finished?.at ?? now;
  const downloads = visibleDownloads(state);
  const phaseLines = packPhases(state.phases.map((p) => phaseLabel(p, now)), width).length;
  const footerRows = state.finished ? 0 : 1;
  const warningRows = state.warnings.length ? 1 : 0;
  const headerRows = 1 + phaseLines + 1 + downloads.shown.length + (downloads.more ? 1 : 0);
  const bodyRows = Math.max(PANE_HEIGHT, rows - headerRows - footerRows - warningRows);
  const focused = state.hosts[state.focus];
  const failed = failedHostIndexes(state);
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Text {...theme.title}>kubeup up {state.contextName ?? ''}</Text>
        <Text {...theme.dim}>
          {`  ${plural(state.hosts.length, 'host')}`}
          {state.startedAt !== undefined ? `  ${formatDuration(end - state.startedAt)}` : ''}
        </Text>
        {state.finished ? <Text {...(state.finished.ok ? theme.success : theme.error)}>{state.finished.ok ? '  done' : state.cancelRequested ? '  cancelled' : '  FAILED'}</Text> : null}
      </Text>
      <PhaseBar phases={state.phases} now={now} width={width} theme={theme} />
      {downloads.shown.map((d) => (
        <TransferBar key={d.name} transfer={d} direction="download" width={width} theme={theme} />
      ))}
      {downloads.more ? <Text {...theme.dim}>… and {plural(downloads.more, 'more download')}</Text> : null}
      {state.finished ? (
        <>
          {failed.map((i) => (
            <HostPane key={state.hosts[i]!.id} host={state.hosts[i]!} width={width} focused={false} theme={theme} errorLines={FINAL_ERROR_LINES} />
          ))}
          <Summary state={state} width={width} theme={theme} />
        </>
      ) : state.expanded && focused ? (
        <LogView host={focused} {...(state.logDir !== undefined && { logDir: state.logDir })} width={width} rows={Math.max(3, bodyRows - 2)} theme={theme} />
      ) : (
        <HostsBody state={state} columns={width} rows={bodyRows} theme={theme} />
      )}
      {warningRows && !state.finished ? (
        <Text wrap="truncate-end" {...theme.warning}>
          {plural(state.warnings.length, 'warning')} (printed after the run); last: {state.warnings[state.warnings.length - 1]!.message}
        </Text>
      ) : null}
      <Footer state={state} theme={theme} />
    </Box>
  );
}
