// The CNI network containerd sets pods up with: flannel (which delegates to bridge + host-local) and portmap.
import { CNI_CONFLIST } from './paths.js';
import { stableJson } from './text.js';
import { MODE_PUBLIC, ROOT, type RenderContext, type RenderedFile } from './types.js';

/** Plugins from the containernetworking release that pods need; `flannel` comes from flannel's own CNI plugin. */
export const CNI_PLUGINS = ['bridge', 'host-local', 'loopback', 'portmap'] as const;
export const FLANNEL_CNI_PLUGIN = 'flannel';

export function cniConflist(_ctx: RenderContext): Record<string, unknown> {
  return {
    name: 'cbr0',
    cniVersion: '0.3.1',
    plugins: [
      { type: 'flannel', delegate: { hairpinMode: true, isDefaultGateway: true } },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
}

export function renderCni(ctx: RenderContext): RenderedFile[] {
  // containerd reads the network config for each new pod sandbox: no restart needed.
  return [{ path: CNI_CONFLIST, mode: MODE_PUBLIC, owner: ROOT, content: stableJson(cniConflist(ctx)), restarts: [] }];
}
