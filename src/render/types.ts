import type { ClusterPlan, HostTarget } from '../plan/types.js';

export type { RenderedFile } from '../plan/types.js';

/** Everything a render function may read. Render functions are pure: same context, same bytes. */
export interface RenderContext {
  cluster: ClusterPlan;
  host: HostTarget;
}

export const ROOT = 'root:root';
export const MODE_PUBLIC = 0o644;
/** Files that point at credentials are kept private, even though they hold none themselves. */
export const MODE_PRIVATE = 0o600;
