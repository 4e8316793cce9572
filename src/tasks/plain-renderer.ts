// Plain line output for logs and CI: one line per event, every host's line prefixed with the host, no escape codes.
// listr2's own simple renderer prints subtask output without saying which host it came from.
import { ListrTaskEventType, ListrTaskState, type ListrTaskMessage, type ListrTaskObject } from 'listr2';
import { RunViewRenderer } from './store-renderer.js';
import { parseOutputLine } from './progress.js';
import type { RunStore } from './run-store.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyTask = ListrTaskObject<any, any, any>;

export interface PlainRendererOptions {
  write?: (line: string) => void;
  now?: () => number;
  /** Fed like the live view's, so the end of the run (verdict, table, grouping) reads the same in plain output. */
  store?: RunStore;
}

/** A status line that differs from the last one only in its numbers (a wait's clock, a count) is printed this often. */
const REPEAT_MS = 10_000;

const MARK: Partial<Record<ListrTaskState, string>> = {
  [ListrTaskState.COMPLETED]: 'ok',
  [ListrTaskState.FAILED]: 'FAILED',
  [ListrTaskState.SKIPPED]: 'skipped',
};

/** The host a task is about: per-host tasks are titled with the host id first (`192.168.213.11 (master+worker)`). */
export function hostOfTitle(title: string): string {
  return title.split(/\s/)[0]!.replace(/:$/, '');
}

export class PlainRenderer {
  static nonTTY = true;
  static rendererOptions: PlainRendererOptions = {};
  static rendererTaskOptions: Record<PropertyKey, unknown> = {};

  private readonly write: (line: string) => void;
  private readonly now: () => number;
  private readonly started = new Map<string, number>();
  private readonly seen = new Set<string>();
  private readonly lastOutput = new Map<string, { shape: string; at: number }>();
  private readonly feed?: RunViewRenderer;

  constructor(
    private readonly tasks: AnyTask[],
    options: PlainRendererOptions = {},
  ) {
    this.write = options.write ?? ((line) => process.stdout.write(`${line}\n`));
    this.now = options.now ?? Date.now;
    if (options.store) this.feed = new RunViewRenderer(tasks, { store: options.store, now: this.now });
  }

  render(): void {
    this.feed?.render();
    this.follow(this.tasks);
  }

  end(err?: Error): void {
    this.feed?.end(err);
  }

  /** Lets a task's line through unless it repeats the last one but for its numbers, and that was recent. */
  private fresh(taskId: string, line: string): boolean {
    // Transfers are thinned out where they are made (every 10 %).
    if (parseOutputLine(line).kind === 'transfer') return true;
    const shape = line.replace(/\d+(\.\d+)?/g, '#');
    const last = this.lastOutput.get(taskId);
    const now = this.now();
    if (last && last.shape === shape && now - last.at < REPEAT_MS) return false;
    this.lastOutput.set(taskId, { shape, at: now });
    return true;
  }

  private follow(tasks: AnyTask[]): void {
    for (const task of tasks) {
      if (this.seen.has(task.id)) continue;
      this.seen.add(task.id);
      // Phases are the root list's tasks; anything below is about one host.
      const prefix = task.listr.isRoot() ? '' : `[${hostOfTitle(task.title ?? '')}] `;
      task.on(ListrTaskEventType.STATE, (state: ListrTaskState) => {
        if (state === ListrTaskState.STARTED) {
          this.started.set(task.id, this.now());
          if (!prefix) this.write(`== ${task.title}`);
          return;
        }
        const mark = MARK[state];
        if (!mark) return;
        const took = this.started.has(task.id) ? ` (${((this.now() - this.started.get(task.id)!) / 1000).toFixed(1)} s)` : '';
        this.write(`${prefix}${mark}: ${task.title}${took}`);
      });
      task.on(ListrTaskEventType.OUTPUT, (output: string) => {
        for (const line of String(output).split('\n')) if (line.trim() && this.fresh(task.id, line)) this.write(`${prefix}${line}`);
      });
      task.on(ListrTaskEventType.MESSAGE, (message: Partial<ListrTaskMessage>) => {
        if (message.error) this.write(`${prefix}error: ${message.error.split('\n')[0]}`);
      });
      task.on(ListrTaskEventType.SUBTASK, (subtasks: AnyTask[]) => this.follow(subtasks));
    }
  }
}
