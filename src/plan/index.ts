export { assumedFacts, buildPlan } from './build.js';
export { formatPlan } from './format.js';
export { hostDirName, writeRendered, type RenderedOutput } from './rendered.js';
export type * from './types.js';
export { ARCHES } from './types.js';
