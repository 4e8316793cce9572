/**
 * Structural schemas of the types kubeup applies (ServiceAccount, ConfigMap, Service, Deployment, ClusterRole,
 * ClusterRoleBinding), as the real server knows them from k8s.io/api (core/v1, apps/v1, rbac/v1 types.go) with
 * their list semantics (+listType / +listMapKey / patchMergeKey markers, as structured-merge-diff reads them).
 * A field not listed here is unknown to the stand-in, and the stand-in refuses it: where this table is short of
 * the real API, a test fails loudly instead of passing on a lenient server.
 */

export type Scalar = 'string' | 'integer' | 'boolean' | 'number' | 'int-or-string' | 'quantity';
export type Schema =
  | { t: 'scalar'; of: Scalar }
  | { t: 'struct'; fields: Record<string, Schema> }
  /** map[string]X: any key */
  | { t: 'map'; values: Schema }
  /** atomic: replaced whole; set: items are their own keys; map: items keyed by `keys` */
  | { t: 'list'; items: Schema; list: 'atomic' | 'set' | { keys: string[] } }
  /** A value kept as it is (managedFields' fieldsV1): atomic. */
  | { t: 'opaque' };

const str: Schema = { t: 'scalar', of: 'string' };
const int: Schema = { t: 'scalar', of: 'integer' };
const bool: Schema = { t: 'scalar', of: 'boolean' };
const intOrString: Schema = { t: 'scalar', of: 'int-or-string' };
const quantity: Schema = { t: 'scalar', of: 'quantity' };
const struct = (fields: Record<string, Schema>): Schema => ({ t: 'struct', fields });
const mapOf = (values: Schema): Schema => ({ t: 'map', values });
const atomic = (items: Schema): Schema => ({ t: 'list', items, list: 'atomic' });
const set = (items: Schema): Schema => ({ t: 'list', items, list: 'set' });
const keyed = (items: Schema, ...keys: string[]): Schema => ({ t: 'list', items, list: { keys } });
const strings = atomic(str);

const ownerReference = struct({ apiVersion: str, kind: str, name: str, uid: str, controller: bool, blockOwnerDeletion: bool });
const managedFieldsEntry = struct({ manager: str, operation: str, apiVersion: str, time: str, fieldsType: str, fieldsV1: { t: 'opaque' }, subresource: str });

export const objectMeta = struct({
  name: str,
  generateName: str,
  namespace: str,
  selfLink: str,
  uid: str,
  resourceVersion: str,
  generation: int,
  creationTimestamp: str,
  deletionTimestamp: str,
  deletionGracePeriodSeconds: int,
  labels: mapOf(str),
  annotations: mapOf(str),
  ownerReferences: keyed(ownerReference, 'uid'),
  finalizers: set(str),
  managedFields: atomic(managedFieldsEntry),
});

const labelSelector = struct({
  matchLabels: mapOf(str),
  matchExpressions: atomic(struct({ key: str, operator: str, values: strings })),
});

const keyToPath = struct({ key: str, path: str, mode: int });
const localRef = struct({ name: str });
const fieldRef = struct({ apiVersion: str, fieldPath: str });
const resourceFieldRef = struct({ containerName: str, resource: str, divisor: quantity });
const keyRef = struct({ name: str, key: str, optional: bool });

const volume = struct({
  name: str,
  configMap: struct({ name: str, items: atomic(keyToPath), defaultMode: int, optional: bool }),
  secret: struct({ secretName: str, items: atomic(keyToPath), defaultMode: int, optional: bool }),
  emptyDir: struct({ medium: str, sizeLimit: quantity }),
  hostPath: struct({ path: str, type: str }),
  downwardAPI: struct({ items: atomic(struct({ path: str, fieldRef, resourceFieldRef, mode: int })), defaultMode: int }),
  projected: struct({
    defaultMode: int,
    sources: atomic(
      struct({
        configMap: struct({ name: str, items: atomic(keyToPath), optional: bool }),
        secret: struct({ name: str, items: atomic(keyToPath), optional: bool }),
        serviceAccountToken: struct({ audience: str, expirationSeconds: int, path: str }),
        downwardAPI: struct({ items: atomic(struct({ path: str, fieldRef, resourceFieldRef, mode: int })) }),
      }),
    ),
  }),
  persistentVolumeClaim: struct({ claimName: str, readOnly: bool }),
});

const probeHandler = {
  exec: struct({ command: strings }),
  httpGet: struct({ path: str, port: intOrString, host: str, scheme: str, httpHeaders: atomic(struct({ name: str, value: str })) }),
  tcpSocket: struct({ port: intOrString, host: str }),
  grpc: struct({ port: int, service: str }),
};
const probe = struct({
  ...probeHandler,
  initialDelaySeconds: int,
  timeoutSeconds: int,
  periodSeconds: int,
  successThreshold: int,
  failureThreshold: int,
  terminationGracePeriodSeconds: int,
});
const lifecycleHandler = struct({ exec: probeHandler.exec, httpGet: probeHandler.httpGet, tcpSocket: probeHandler.tcpSocket, sleep: struct({ seconds: int }) });

const seccompProfile = struct({ type: str, localhostProfile: str });
const seLinuxOptions = struct({ user: str, role: str, type: str, level: str });
const containerSecurityContext = struct({
  capabilities: struct({ add: strings, drop: strings }),
  privileged: bool,
  seLinuxOptions,
  runAsUser: int,
  runAsGroup: int,
  runAsNonRoot: bool,
  readOnlyRootFilesystem: bool,
  allowPrivilegeEscalation: bool,
  procMount: str,
  seccompProfile,
  appArmorProfile: seccompProfile,
});

const container = struct({
  name: str,
  image: str,
  command: strings,
  args: strings,
  workingDir: str,
  ports: keyed(struct({ name: str, hostPort: int, containerPort: int, protocol: str, hostIP: str }), 'containerPort', 'protocol'),
  env: keyed(
    struct({ name: str, value: str, valueFrom: struct({ fieldRef, resourceFieldRef, configMapKeyRef: keyRef, secretKeyRef: keyRef }) }),
    'name',
  ),
  envFrom: atomic(struct({ prefix: str, configMapRef: struct({ name: str, optional: bool }), secretRef: struct({ name: str, optional: bool }) })),
  resources: struct({ limits: mapOf(quantity), requests: mapOf(quantity) }),
  volumeMounts: keyed(struct({ name: str, readOnly: bool, recursiveReadOnly: str, mountPath: str, subPath: str, mountPropagation: str, subPathExpr: str }), 'mountPath'),
  livenessProbe: probe,
  readinessProbe: probe,
  startupProbe: probe,
  lifecycle: struct({ postStart: lifecycleHandler, preStop: lifecycleHandler }),
  terminationMessagePath: str,
  terminationMessagePolicy: str,
  imagePullPolicy: str,
  securityContext: containerSecurityContext,
  stdin: bool,
  stdinOnce: bool,
  tty: bool,
});

const nodeSelectorTerm = struct({
  matchExpressions: atomic(struct({ key: str, operator: str, values: strings })),
  matchFields: atomic(struct({ key: str, operator: str, values: strings })),
});
const podAffinityTerm = struct({ labelSelector, namespaces: strings, topologyKey: str, namespaceSelector: labelSelector, matchLabelKeys: strings, mismatchLabelKeys: strings });
const podAffinity = struct({
  requiredDuringSchedulingIgnoredDuringExecution: atomic(podAffinityTerm),
  preferredDuringSchedulingIgnoredDuringExecution: atomic(struct({ weight: int, podAffinityTerm })),
});

const podSpec = struct({
  volumes: keyed(volume, 'name'),
  initContainers: keyed(container, 'name'),
  containers: keyed(container, 'name'),
  restartPolicy: str,
  terminationGracePeriodSeconds: int,
  activeDeadlineSeconds: int,
  dnsPolicy: str,
  nodeSelector: mapOf(str),
  serviceAccountName: str,
  serviceAccount: str,
  automountServiceAccountToken: bool,
  nodeName: str,
  hostNetwork: bool,
  hostPID: bool,
  hostIPC: bool,
  shareProcessNamespace: bool,
  securityContext: struct({
    seLinuxOptions,
    runAsUser: int,
    runAsGroup: int,
    runAsNonRoot: bool,
    supplementalGroups: atomic(int),
    fsGroup: int,
    sysctls: atomic(struct({ name: str, value: str })),
    fsGroupChangePolicy: str,
    seccompProfile,
    appArmorProfile: seccompProfile,
  }),
  imagePullSecrets: keyed(localRef, 'name'),
  hostname: str,
  subdomain: str,
  affinity: struct({
    nodeAffinity: struct({
      requiredDuringSchedulingIgnoredDuringExecution: struct({ nodeSelectorTerms: atomic(nodeSelectorTerm) }),
      preferredDuringSchedulingIgnoredDuringExecution: atomic(struct({ weight: int, preference: nodeSelectorTerm })),
    }),
    podAffinity,
    podAntiAffinity: podAffinity,
  }),
  schedulerName: str,
  tolerations: atomic(struct({ key: str, operator: str, value: str, effect: str, tolerationSeconds: int })),
  hostAliases: keyed(struct({ ip: str, hostnames: strings }), 'ip'),
  priorityClassName: str,
  priority: int,
  dnsConfig: struct({ nameservers: strings, searches: strings, options: atomic(struct({ name: str, value: str })) }),
  enableServiceLinks: bool,
  preemptionPolicy: str,
  topologySpreadConstraints: keyed(
    struct({ maxSkew: int, topologyKey: str, whenUnsatisfiable: str, labelSelector, minDomains: int, nodeAffinityPolicy: str, nodeTaintsPolicy: str, matchLabelKeys: strings }),
    'topologyKey',
    'whenUnsatisfiable',
  ),
});

const condition = struct({ type: str, status: str, observedGeneration: int, lastUpdateTime: str, lastTransitionTime: str, reason: str, message: str });

const top = (fields: Record<string, Schema>): Schema => struct({ apiVersion: str, kind: str, metadata: objectMeta, ...fields });

const policyRule = struct({ verbs: strings, apiGroups: strings, resources: strings, resourceNames: strings, nonResourceURLs: strings });

/** By `<group>/<Kind>` (core: `/<Kind>`). */
export const SCHEMAS: Readonly<Record<string, Schema>> = {
  '/ServiceAccount': top({
    secrets: keyed(struct({ kind: str, namespace: str, name: str, uid: str, apiVersion: str, resourceVersion: str, fieldPath: str }), 'name'),
    imagePullSecrets: atomic(localRef),
    automountServiceAccountToken: bool,
  }),
  '/ConfigMap': top({ immutable: bool, data: mapOf(str), binaryData: mapOf(str) }),
  '/Service': top({
    spec: struct({
      ports: keyed(struct({ name: str, protocol: str, appProtocol: str, port: int, targetPort: intOrString, nodePort: int }), 'port', 'protocol'),
      selector: mapOf(str),
      clusterIP: str,
      clusterIPs: atomic(str),
      type: str,
      externalIPs: atomic(str),
      sessionAffinity: str,
      loadBalancerIP: str,
      loadBalancerSourceRanges: atomic(str),
      externalName: str,
      externalTrafficPolicy: str,
      healthCheckNodePort: int,
      publishNotReadyAddresses: bool,
      sessionAffinityConfig: struct({ clientIP: struct({ timeoutSeconds: int }) }),
      ipFamilies: atomic(str),
      ipFamilyPolicy: str,
      allocateLoadBalancerNodePorts: bool,
      loadBalancerClass: str,
      internalTrafficPolicy: str,
      trafficDistribution: str,
    }),
    status: struct({
      loadBalancer: struct({ ingress: atomic(struct({ ip: str, hostname: str, ipMode: str, ports: atomic(struct({ port: int, protocol: str, error: str })) })) }),
      conditions: keyed(condition, 'type'),
    }),
  }),
  'apps/Deployment': top({
    spec: struct({
      replicas: int,
      selector: labelSelector,
      template: struct({ metadata: objectMeta, spec: podSpec }),
      strategy: struct({ type: str, rollingUpdate: struct({ maxUnavailable: intOrString, maxSurge: intOrString }) }),
      minReadySeconds: int,
      revisionHistoryLimit: int,
      paused: bool,
      progressDeadlineSeconds: int,
    }),
    status: struct({
      observedGeneration: int,
      replicas: int,
      updatedReplicas: int,
      readyReplicas: int,
      availableReplicas: int,
      unavailableReplicas: int,
      terminatingReplicas: int,
      conditions: keyed(condition, 'type'),
      collisionCount: int,
    }),
  }),
  'rbac.authorization.k8s.io/ClusterRole': top({
    rules: atomic(policyRule),
    aggregationRule: struct({ clusterRoleSelectors: atomic(labelSelector) }),
  }),
  'rbac.authorization.k8s.io/ClusterRoleBinding': top({
    subjects: atomic(struct({ kind: str, apiGroup: str, name: str, namespace: str })),
    roleRef: struct({ apiGroup: str, kind: str, name: str }),
  }),
};

export function schemaFor(group: string, kind: string): Schema | undefined {
  return SCHEMAS[`${group}/${kind}`];
}
