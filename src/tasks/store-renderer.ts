// The listr2 renderer behind the live run view. It draws nothing itself: it subscribes to every task's events
// (state, title, output, message, subtasks) and turns them into RunStore events; the Ink view (components/run) reads
// the store. listr2 makes one renderer per task list: the engine runs each phase's per-host list with its own
// `.run()`, so nested instances get the subtasks, and only the root instance reports the end of the run.
import { ListrTaskEventType, ListrTaskState, type ListrTaskMessage, type ListrTaskObject } from 'listr2';
import { InternalError } from '../errors.js';
import type { RunCtx } from './context.js';
import type { RunStore, TaskState } from './run-store.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyTask = ListrTaskObject<any, any, any>;

export interface RunViewRendererOptions {
  store: RunStore;
  /** The clock for event times (tests pass their own). */
  now?: () => number;
}

const STATES: Partial<Record<ListrTaskState, TaskState>> = {
  [ListrTaskState.WAITING]: 'waiting',
  [ListrTaskState.STARTED]: 'running',
  [ListrTaskState.RETRY]: 'running',
  [ListrTaskState.COMPLETED]: 'done',
  [ListrTaskState.FAILED]: 'failed',
  [ListrTaskState.ROLLED_BACK]: 'failed',
  [ListrTaskState.SKIPPED]: 'skipped',
};

export class RunViewRenderer {
  static nonTTY = true;
  static rendererOptions: Record<PropertyKey, unknown> = {};
  static rendererTaskOptions: Record<PropertyKey, unknown> = {};

  private readonly store: RunStore;
  private readonly now: () => number;
  private readonly seen = new Set<string>();

  constructor(
    private readonly tasks: AnyTask[],
    options: Partial<RunViewRendererOptions>,
  ) {
    if (!options.store) throw new InternalError('RunViewRenderer was created without rendererOptions.store (a RunStore)');
    this.store = options.store;
    this.now = options.now ?? Date.now;
  }

  render(): void {
    const first = this.tasks[0];
    if (first?.listr.isRoot()) {
      // The run's log folder (one log file per host) lives in the recorder runUp put into the context.
      const ctx = first.listr.options?.ctx as Partial<RunCtx> | undefined;
      if (ctx?.recorder?.dir) this.store.dispatch({ type: 'log-dir', dir: ctx.recorder.dir });
    }
    this.follow(this.tasks);
  }

  end(err?: Error): void {
    if (!this.tasks[0]?.listr.isRoot()) return;
    this.store.dispatch({ type: 'run-ended', ok: err === undefined, at: this.now(), ...(err && { error: err.message }) });
  }

  private follow(tasks: AnyTask[]): void {
    for (const task of tasks) {
      if (this.seen.has(task.id)) continue;
      this.seen.add(task.id);
      const parent = task.listr.parentTask as AnyTask | undefined;
      this.store.dispatch({ type: 'task-added', taskId: task.id, title: task.title ?? '', at: this.now(), ...(parent && { parentId: parent.id }) });
      const current = STATES[task.state];
      if (current && current !== 'waiting') this.store.dispatch({ type: 'task-state', taskId: task.id, state: current, at: this.now() });
      task.on(ListrTaskEventType.STATE, (state: ListrTaskState) => {
        const mapped = STATES[state];
        if (mapped) this.store.dispatch({ type: 'task-state', taskId: task.id, state: mapped, at: this.now() });
      });
      task.on(ListrTaskEventType.TITLE, (title: string) => this.store.dispatch({ type: 'task-title', taskId: task.id, title, at: this.now() }));
      task.on(ListrTaskEventType.OUTPUT, (output: string) => this.store.dispatch({ type: 'task-output', taskId: task.id, output: String(output), at: this.now() }));
      task.on(ListrTaskEventType.MESSAGE, (message: Partial<ListrTaskMessage>) => {
        if (message.error) this.store.dispatch({ type: 'task-error', taskId: task.id, message: message.error, at: this.now() });
      });
      // Subtasks returned from a task function arrive here; lists run with their own .run() get their own renderer.
      task.on(ListrTaskEventType.SUBTASK, (subtasks: AnyTask[]) => this.follow(subtasks));
    }
  }
}
