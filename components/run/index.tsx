// The live run view's public entry: openRunView mounts the Ink view on a fresh store and hands the caller the
// listr2 renderer that feeds that store, the abort signal the view fires when the user confirms a cancel, a sink
// for warnings (the terminal belongs to Ink while it runs) and close(), which draws the last frame and unmounts.
import React from 'react';
import { render, type Instance } from 'ink';
import { CancelledError } from '../../src/errors.js';
import type { Profile } from '../../src/profile/types.js';
import { RunViewRenderer } from '../../src/tasks/store-renderer.js';
import { hostsOfProfile, initialRunState, RunStore, type HostRecords } from '../../src/tasks/run-store.js';
import { RunApp } from './RunApp.js';

export interface RunViewHandle {
  renderer: { factory: typeof RunViewRenderer; options: { store: RunStore } };
  signal: AbortSignal;
  store: RunStore;
  /** Shows a warning in the view (the CLI tells them all, grouped, once the view has closed). */
  warn(host: string | undefined, message: string): void;
  /**
   * Waits for the run, takes its records (what changed on each host) into the store, closes the view (its last
   * frame stays on screen), and turns a run the user cancelled into a CancelledError (exit 130) that keeps the
   * run's log folder.
   */
  follow<T>(running: Promise<T>, print: (line: string) => void): Promise<T>;
}

export interface OpenRunViewOptions {
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  /** The run's command (title, cancel question) and what a cancel says: `up` unless told. */
  command?: 'up' | 'upgrade';
  cancelled?: { message: string; hint: string };
}

const UP_CANCELLED = {
  message: 'deploy cancelled: the steps that were running finished, the rest did not start',
  hint: 'run kubeup up again to carry on: what is already done is kept and not redone',
};

export function openRunView(profile: Profile, opts: OpenRunViewOptions = {}): RunViewHandle {
  const store = new RunStore(initialRunState(hostsOfProfile(profile), profile.name, opts.command));
  const cancelled = opts.cancelled ?? UP_CANCELLED;
  const controller = new AbortController();
  const app = render(<RunApp store={store} onCancel={() => controller.abort()} />, {
    stdin: opts.stdin ?? process.stdin,
    stdout: opts.stdout ?? process.stdout,
    exitOnCtrlC: false,
    // Stray console output goes above the view on the real terminal; streams given by a caller are left alone.
    patchConsole: opts.stdout === undefined,
  });
  return {
    renderer: { factory: RunViewRenderer, options: { store } },
    signal: controller.signal,
    store,
    warn: (host, message) => store.dispatch({ type: 'warning', ...(host !== undefined && { host }), message }),
    follow: async (running, print) => {
      const takeRecords = (outcome: unknown) => {
        const records = (outcome as { records?: HostRecords } | undefined)?.records;
        if (records) store.dispatch({ type: 'host-records', records });
      };
      let result;
      try {
        result = await running;
      } catch (e) {
        takeRecords(e);
        await close(app, store, e);
        if (!controller.signal.aborted) throw e;
        const logDir = (e as { logDir?: string }).logDir;
        throw Object.assign(
          new CancelledError(cancelled.message, { hint: cancelled.hint, cause: e }),
          logDir ? { logDir } : {},
        );
      }
      takeRecords(result);
      await close(app, store);
      if (controller.signal.aborted) print('The cancel came after the last step had started: the deploy finished.');
      return result;
    },
  };
}

/** Ends the run in the store if its task tree never reported an end (it failed before starting), then unmounts. */
async function close(app: Instance, store: RunStore, error?: unknown): Promise<void> {
  if (!store.getSnapshot().finished) {
    const message = error instanceof Error ? error.message : error === undefined ? undefined : String(error);
    store.dispatch({ type: 'run-ended', ok: error === undefined, at: Date.now(), ...(message !== undefined && { error: message }) });
  }
  // Let React commit the last state (the summary) before Ink writes its final frame and lets go of the terminal.
  await new Promise((resolve) => setImmediate(resolve));
  app.unmount();
  await app.waitUntilExit();
}
