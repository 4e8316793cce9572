// The live run view's public entry: openRunView mounts the Ink view on a fresh store and hands the caller the
// listr2 renderer that feeds that store, the abort signal the view fires when the user confirms a cancel, a sink
// for warnings (the terminal belongs to Ink while it runs) and close(), which draws the last frame and unmounts.
import React from 'react';
import { render } from 'ink';
import { hostId, type Profile } from '../../src/profile/types.js';
import { RunViewRenderer } from '../../src/tasks/ink-renderer.js';
import { initialRunState, RunStore, type HostInfo } from '../../src/tasks/run-store.js';
import { RunApp } from './RunApp.js';

export interface RunViewHandle {
  renderer: { factory: typeof RunViewRenderer; options: { store: RunStore } };
  signal: AbortSignal;
  store: RunStore;
  /** Shows a warning in the view; the caller prints the warnings after close(). */
  warn(host: string | undefined, message: string): void;
  close(): Promise<void>;
}

export function hostsOfProfile(profile: Profile): HostInfo[] {
  return profile.hosts.map((h) => ({ id: hostId(h), address: h.address, roles: [...h.roles], ...(h.nodeName !== undefined && { nodeName: h.nodeName }) }));
}

export interface OpenRunViewOptions {
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
}

export function openRunView(profile: Profile, opts: OpenRunViewOptions = {}): RunViewHandle {
  const store = new RunStore(initialRunState(hostsOfProfile(profile), profile.name));
  const controller = new AbortController();
  const app = render(<RunApp store={store} onCancel={() => controller.abort()} />, {
    stdin: opts.stdin ?? process.stdin,
    stdout: opts.stdout ?? process.stdout,
    exitOnCtrlC: false,
    patchConsole: true,
  });
  return {
    renderer: { factory: RunViewRenderer, options: { store } },
    signal: controller.signal,
    store,
    warn: (host, message) => store.dispatch({ type: 'warning', ...(host !== undefined && { host }), message }),
    async close() {
      // Let React commit the last state (the summary) before Ink writes its final frame and lets go of the terminal.
      await new Promise((resolve) => setImmediate(resolve));
      app.unmount();
      await app.waitUntilExit();
    },
  };
}
