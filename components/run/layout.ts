// How the host panes fit the terminal: side by side when wide, stacked when narrow, and one line per host with the
// focused and failing hosts expanded when there are more hosts than fit. Pure: tests call it with any size.

/** Rows of a host pane: its border and six lines of content. */
export const PANE_HEIGHT = 8;
/** Narrowest pane that still shows an address, roles and a progress bar. */
export const PANE_MIN_WIDTH = 38;
/** Fewest host lines a compact list shows, whatever the height. */
const MIN_LIST_LINES = 3;

export type HostLayout =
  | { mode: 'panes'; columns: number; paneWidth: number }
  | {
      mode: 'compact';
      /** Indexes of the hosts shown as full panes (the focused one first, then failing ones). */
      expanded: number[];
      /** The window of the one-line list: hosts [first, first + count). */
      first: number;
      count: number;
    };

export interface LayoutInput {
  hosts: number;
  focus: number;
  failed: readonly number[];
  columns: number;
  /** Rows left for hosts once the header and footer are drawn. */
  rows: number;
}

export function chooseLayout(i: LayoutInput): HostLayout {
  const most = Math.max(1, Math.min(i.hosts, Math.floor(i.columns / PANE_MIN_WIDTH)));
  // As few columns as the rows allow, so every row is full and the panes share the width (4 hosts on 120
  // columns: two rows of two, not three and one).
  const columns = Math.ceil(i.hosts / Math.ceil(i.hosts / most));
  if (Math.ceil(i.hosts / columns) * PANE_HEIGHT <= i.rows) {
    return { mode: 'panes', columns, paneWidth: Math.floor(i.columns / columns) };
  }
  const wanted = [i.focus, ...i.failed.filter((f) => f !== i.focus)];
  const fit = Math.max(1, Math.floor((i.rows - MIN_LIST_LINES) / PANE_HEIGHT));
  const expanded = wanted.slice(0, fit);
  const listRows = Math.max(MIN_LIST_LINES, i.rows - expanded.length * PANE_HEIGHT);
  // Two rows go to the "more above / below" markers when the list is cut.
  const count = i.hosts <= listRows ? i.hosts : Math.max(1, listRows - 2);
  const first = Math.min(Math.max(0, i.focus - Math.floor(count / 2)), Math.max(0, i.hosts - count));
  return { mode: 'compact', expanded, first, count };
}
