// Cluster add-ons: what the plan says to run (ClusterPlan.addons) -> the objects to apply, and the same objects as
// YAML files a user can read and `kubectl apply -f` by hand (render --out, the dry-run).
import { stringify } from 'yaml';
import { corednsObjects, type CorednsSettings } from './coredns.js';
import type { AddonObject } from './types.js';

export { COREDNS_DEPLOYMENT, COREDNS_VERSIONS, corednsImage, corednsObjects, corednsVersion, corefile, UPSTREAM_REGISTRY, type CorednsSettings } from './coredns.js';
export { objectLabel, objectPath, type AddonObject } from './types.js';

/** The add-ons of a cluster plan; an add-on that is off is absent. */
export interface AddonsPlan {
  dns?: CorednsSettings & { version: string };
}

export interface Addon {
  /** `coredns`: names its manifest file and its lines in the run. */
  name: string;
  objects: AddonObject[];
}

export function planAddons(addons: AddonsPlan): Addon[] {
  return addons.dns ? [{ name: 'coredns', objects: corednsObjects(addons.dns) }] : [];
}

/**
 * Every object kubeup may have applied, whether its add-on is on now or not: what `down` and a turned-off add-on
 * remove. The settings do not change names, so any will do.
 */
export function allAddonObjects(): AddonObject[] {
  return corednsObjects({ image: 'unused', replicas: 1, clusterDns: '0.0.0.0', dnsDomain: 'unused', upstreamResolvers: [] });
}

/** Objects as one YAML stream (`---` between documents), byte for byte the same for the same plan. */
export function addonYaml(objects: readonly AddonObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

export interface AddonManifestFile {
  /** Relative path, e.g. addons/coredns.yaml. */
  path: string;
  content: string;
}

export function addonManifestFiles(addons: AddonsPlan): AddonManifestFile[] {
  return planAddons(addons).map((a) => ({ path: `addons/${a.name}.yaml`, content: addonYaml(a.objects) }));
}
