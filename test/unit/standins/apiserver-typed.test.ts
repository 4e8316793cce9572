// The stand-in API server's field validation, server-side apply and update rules, each against the rule of the
// real server it models (see test/README.md for the upstream files). Pure functions: no etcd needed.
import { describe, expect, it } from 'vitest';
import { planAddons } from '../../../src/addons/index.js';
import { assumedFacts, buildPlan } from '../../../src/plan/index.js';
import { validateProfile } from '../../../src/profile/validate.js';
import type { KubeObject } from '../../harness/standins/common/client.js';
import { fromFieldsV1, type Json } from '../../harness/standins/common/apiserver/fields.js';
import { findResource, type ResourceDef } from '../../harness/standins/common/apiserver/resources.js';
import { sameIgnoringTimes } from '../../harness/standins/common/apiserver/ssa.js';
import { StatusError } from '../../harness/standins/common/apiserver/status.js';
import { applied, checkApplied, decodeTyped, parseApplyBody, typedSchema, validateUpdate, withManagedFields } from '../../harness/standins/common/apiserver/typed.js';

type Obj = Record<string, Json>;
const def = (group: string, name: string) => findResource(group, 'v1', name) as ResourceDef;
const deployments = def('apps', 'deployments');
const services = def('', 'services');
const configmaps = def('', 'configmaps');
const schema = (d: ResourceDef) => typedSchema(d)!;

const corednsObjects = () => {
  const r = validateProfile({ name: 'lab', hosts: [{ address: '192.168.213.11', roles: 'ai' }] });
  return planAddons(buildPlan(r.profile!, assumedFacts(r.profile!)).cluster.addons)[0]!.objects;
};
const kubeupDeployment = () => structuredClone(corednsObjects().find((o) => o.kind === 'Deployment')!) as unknown as Obj;

function refusal(fn: () => unknown): StatusError['status'] {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return e.status;
    throw e;
  }
  throw new Error('expected the stand-in to refuse');
}

const ctx = (manager: string, force = false) => ({ manager, force, now: '2026-12-01T20:00:00Z' });
const applyAs = (manager: string, live: KubeObject | undefined, config: Obj, force = false) => applied(deployments, schema(deployments), live, config, ctx(manager, force));

describe('stand-in API server: schemas for what kubeup sends', () => {
  it('knows every field of every object kubeup applies (none refused, none pruned)', () => {
    for (const o of corednsObjects()) {
      const d = findResource(o.apiVersion.includes('/') ? o.apiVersion.split('/')[0]! : '', 'v1', `${o.kind.toLowerCase()}s`)!;
      expect(typedSchema(d), o.kind).toBeDefined();
      expect(() => checkApplied(d, schema(d), o as unknown as Obj, o.metadata.namespace, o.metadata.name)).not.toThrow();
      expect(decodeTyped(d, schema(d), o as unknown as KubeObject, 'Strict').obj).toEqual(o);
    }
  });
});

describe('stand-in API server: unknown fields (handlers/create.go, update.go, patch.go; structured-merge-diff typed conversion)', () => {
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: '1' }, dta: { b: '2' } } as unknown as KubeObject;

  it('fieldValidation=Strict refuses a create with 400 and the decoder\'s "strict decoding error"', () => {
    const s = refusal(() => decodeTyped(configmaps, schema(configmaps), cm, 'Strict'));
    expect(s).toMatchObject({ code: 400, reason: 'BadRequest', message: 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "dta"' });
    const d = kubeupDeployment();
    ((d.spec as Obj).template as { spec: { containers: Obj[] } }).spec.containers[0]!.imagePullPolcy = 'Always';
    expect(refusal(() => decodeTyped(deployments, schema(deployments), d as unknown as KubeObject, 'Strict')).message).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.template.spec.containers[0].imagePullPolcy"',
    );
  });

  it('Warn (the default) drops the field and says so in a warning; Ignore drops it silently', () => {
    expect(decodeTyped(configmaps, schema(configmaps), cm, 'Warn')).toEqual({ obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: '1' } }, warnings: ['unknown field "dta"'] });
    expect(decodeTyped(configmaps, schema(configmaps), cm, 'Ignore').warnings).toEqual([]);
  });

  it('an apply with an unknown field fails the typed conversion whatever fieldValidation says (500, "field not declared in schema")', () => {
    const d = kubeupDeployment();
    (d.spec as Obj).replica = 2;
    const s = refusal(() => checkApplied(deployments, schema(deployments), d, 'kube-system', 'coredns'));
    expect(s).toMatchObject({ code: 500, reason: '', message: 'failed to create typed patch object (apps/v1, Kind=Deployment) kube-system/coredns: .spec.replica: field not declared in schema' });
    const p = kubeupDeployment();
    ((p.spec as Obj).template as { spec: { containers: Obj[] } }).spec.containers[0]!.port = 53;
    expect(refusal(() => checkApplied(deployments, schema(deployments), p, 'kube-system', 'coredns')).message).toContain('.spec.template.spec.containers[name="coredns"].port: field not declared in schema');
  });

  it('refuses a value of the wrong type', () => {
    const d = kubeupDeployment();
    (d.spec as Obj).replicas = '2';
    expect(refusal(() => checkApplied(deployments, schema(deployments), d, 'kube-system', 'coredns')).message).toContain('.spec.replicas: expected integer, got string');
    expect(refusal(() => decodeTyped(deployments, schema(deployments), d as unknown as KubeObject, 'Ignore')).code).toBe(400);
  });

  it('refuses an apply body without kind, with another version, with managedFields, or with duplicate keys under Strict', () => {
    expect(refusal(() => parseApplyBody(configmaps, 'apiVersion: v1\nmetadata:\n  name: x\n', 'Strict', 'x')).message).toMatch(/^Object 'Kind' is missing in/);
    expect(refusal(() => parseApplyBody(deployments, 'apiVersion: apps/v1beta1\nkind: Deployment\nmetadata:\n  name: x\n', 'Strict', 'x')).message).toBe('Incorrect version specified in apply patch. Specified patch version: apps/v1beta1, expected: apps/v1');
    expect(refusal(() => parseApplyBody(configmaps, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  managedFields: []\n', 'Strict', 'x')).message).toBe('metadata.managedFields must be nil');
    expect(refusal(() => parseApplyBody(configmaps, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: "1"\n  a: "2"\n', 'Strict', 'x')).message).toMatch(/^error strict decoding YAML: /);
  });
});

describe('stand-in API server: server-side apply and field managers (managedfields/internal, structured-merge-diff merge)', () => {
  const created = () => applyAs('kubeup', undefined, kubeupDeployment()) as KubeObject;

  it('records the applier\'s fields in managedFields (operation Apply, FieldsV1), list items by key', () => {
    const obj = created();
    const entry = (obj.metadata as unknown as { managedFields: Obj[] }).managedFields[0]!;
    expect(entry).toMatchObject({ manager: 'kubeup', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1' });
    const paths = [...fromFieldsV1(entry.fieldsV1 as Json).keys()].map((k) => k.split('\u0001').join(' '));
    expect(paths).toContain('f:spec f:replicas');
    expect(paths).toContain('f:spec f:template f:spec f:containers k:{"name":"coredns"} f:image');
    expect(paths).toContain('f:spec f:template f:spec f:containers k:{"name":"coredns"} f:ports k:{"containerPort":53,"protocol":"UDP"} f:name');
    expect(paths).toContain('f:spec f:template f:spec f:tolerations');
    expect(paths).not.toContain('f:metadata f:name');
  });

  it('the same apply again changes nothing (the server writes nothing, the resourceVersion stays)', () => {
    const obj = { ...created(), metadata: { ...created().metadata, resourceVersion: '7' } } as KubeObject;
    const again = applyAs('kubeup', obj, kubeupDeployment());
    expect(sameIgnoringTimes(again as never, obj as never)).toBe(true);
  });

  it('a field another manager set with another value is a 409 conflict with the real message; force=true takes it', () => {
    let obj = created();
    // `kubectl scale`-like update by another manager: it now owns spec.replicas
    const scaled = structuredClone(obj) as unknown as { spec: { replicas: number } };
    scaled.spec.replicas = 5;
    obj = withManagedFields(deployments, schema(deployments), obj, scaled as unknown as KubeObject, { manager: 'kubectl-scale', now: '2026-12-01T20:01:00Z' });
    const s = refusal(() => applyAs('kubeup', obj, kubeupDeployment()));
    expect(s).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: .spec.replicas',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-scale" using apps/v1', field: '.spec.replicas' }] },
    });
    const forced = applyAs('kubeup', obj, kubeupDeployment(), true) as unknown as { spec: { replicas: number }; metadata: { managedFields: { manager: string }[] } };
    expect(forced.spec.replicas).toBe(2);
    expect(forced.metadata.managedFields.map((m) => m.manager)).toEqual(['kubeup']);
  });

  it('two appliers: the conflict names the other applier without a version, and lists every field', () => {
    const other = kubeupDeployment();
    (other.spec as Obj).replicas = 3;
    ((other.spec as Obj).template as { spec: { containers: Obj[] } }).spec.containers[0]!.image = 'example/coredns:1';
    const s = refusal(() => applyAs('ops', created(), other));
    expect(s.message).toBe('Apply failed with 2 conflicts: conflicts with "kubeup":\n- .spec.replicas\n- .spec.template.spec.containers[name="coredns"].image');
  });

  it('a user\'s own fields survive kubeup\'s re-apply; a field kubeup stops applying is removed', () => {
    let obj = created();
    const edited = structuredClone(obj) as unknown as { metadata: { annotations?: Record<string, string> } };
    edited.metadata.annotations = { 'example.com/owner': 'ops' };
    obj = withManagedFields(deployments, schema(deployments), obj, edited as unknown as KubeObject, { manager: 'kubectl-annotate', now: '2026-12-01T20:02:00Z' });
    const lessConfig = kubeupDeployment();
    delete ((lessConfig.spec as Obj).template as { spec: Obj }).spec.nodeSelector;
    const next = applyAs('kubeup', obj, lessConfig) as unknown as { metadata: { annotations: Record<string, string> }; spec: { template: { spec: Obj } } };
    expect(next.metadata.annotations).toEqual({ 'example.com/owner': 'ops' });
    expect(next.spec.template.spec.nodeSelector).toBeUndefined();
  });
});

describe('stand-in API server: immutable fields (ValidateServiceUpdate, ValidateDeploymentUpdate, ValidateClusterRoleBindingUpdate)', () => {
  it('refuses a new clusterIP for a Service: spec.clusterIPs[0] may not change once set', () => {
    const old = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'kube-dns' }, spec: { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'] } } as unknown as KubeObject;
    const next = { ...old, spec: { clusterIP: '10.96.0.11' } } as unknown as KubeObject;
    expect(refusal(() => validateUpdate(services, old, next))).toMatchObject({ code: 422, reason: 'Invalid', message: 'Service "kube-dns" is invalid: spec.clusterIPs[0]: Invalid value: ["10.96.0.11"]: may not change once set' });
    expect(() => validateUpdate(services, old, { ...old, spec: { clusterIP: '10.96.0.10' } } as unknown as KubeObject)).not.toThrow();
  });

  it('refuses a changed Deployment selector: field is immutable', () => {
    const old = { metadata: { name: 'coredns' }, spec: { selector: { matchLabels: { 'k8s-app': 'kube-dns' } } } } as unknown as KubeObject;
    const next = { metadata: { name: 'coredns' }, spec: { selector: { matchLabels: { app: 'dns' } } } } as unknown as KubeObject;
    expect(refusal(() => validateUpdate(deployments, old, next))).toMatchObject({ code: 422, message: 'Deployment.apps "coredns" is invalid: spec.selector: Invalid value: {"matchLabels":{"app":"dns"}}: field is immutable' });
  });

  it('refuses a changed roleRef of a ClusterRoleBinding: cannot change roleRef', () => {
    const crb = findResource('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings')!;
    const old = { metadata: { name: 'system:coredns' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:coredns' } } as unknown as KubeObject;
    const next = { ...old, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' } } as unknown as KubeObject;
    expect(refusal(() => validateUpdate(crb, old, next)).message).toMatch(/^ClusterRoleBinding\.rbac\.authorization\.k8s\.io "system:coredns" is invalid: roleRef: Invalid value: .*: cannot change roleRef$/);
  });
});
