/**
 * Just enough of the Kubernetes protobuf encoding to read the review requests that kubectl's typed clients send as
 * application/vnd.kubernetes.protobuf (kubectl auth can-i / whoami): the `k8s\0` envelope (runtime.Unknown) and
 * the SelfSubjectAccessReview spec. Answers still go out as JSON, which those clients accept.
 */
type Fields = Map<number, Buffer[]>;

function varint(buf: Buffer, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++];
    if (b === undefined) throw new Error('truncated protobuf varint');
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7;
  }
}

/** Length-delimited fields by number; varints are kept as their decimal text (other wire types are skipped). */
function fields(buf: Buffer): Fields {
  const out: Fields = new Map();
  let pos = 0;
  while (pos < buf.length) {
    const [key, p1] = varint(buf, pos);
    pos = p1;
    const wire = key & 7;
    const num = Math.floor(key / 8);
    if (wire === 0) {
      const [v, p2] = varint(buf, pos);
      pos = p2;
      out.set(num, [...(out.get(num) ?? []), Buffer.from(String(v))]);
    }
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const [len, p2] = varint(buf, pos);
      const value = buf.subarray(p2, p2 + len);
      pos = p2 + len;
      out.set(num, [...(out.get(num) ?? []), value]);
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return out;
}

const str = (f: Fields, n: number): string => f.get(n)?.[0]?.toString('utf8') ?? '';

const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** runtime.Unknown: { typeMeta: {apiVersion, kind}, raw }. */
export function unwrapEnvelope(body: Buffer): { apiVersion: string; kind: string; raw: Buffer } {
  if (!body.subarray(0, 4).equals(magic)) throw new Error('protobuf body without the k8s envelope');
  const unknown = fields(body.subarray(4));
  const typeMeta = fields(unknown.get(1)?.[0] ?? Buffer.alloc(0));
  return { apiVersion: str(typeMeta, 1), kind: str(typeMeta, 2), raw: unknown.get(2)?.[0] ?? Buffer.alloc(0) };
}

/** SelfSubjectAccessReview (authorization.k8s.io/v1) -> its JSON form. */
export function selfSubjectAccessReviewFromProtobuf(raw: Buffer): { spec: { resourceAttributes?: Record<string, string>; nonResourceAttributes?: { path: string; verb: string } } } {
  const review = fields(raw);
  const spec = fields(review.get(2)?.[0] ?? Buffer.alloc(0));
  const ra = spec.get(1)?.[0];
  const nra = spec.get(2)?.[0];
  if (ra) {
    const f = fields(ra);
    const keys = ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'];
    const attrs: Record<string, string> = {};
    keys.forEach((k, i) => {
      const v = str(f, i + 1);
      if (v !== '') attrs[k] = v;
    });
    return { spec: { resourceAttributes: attrs } };
  }
  if (nra) {
    const f = fields(nra);
    return { spec: { nonResourceAttributes: { path: str(f, 1), verb: str(f, 2) } } };
  }
  return { spec: {} };
}

/** map<string,string> / map<string,bytes> entries: repeated {key = 1, value = 2}. */
function map(entries: Buffer[] | undefined, asBase64: boolean): Record<string, string> | undefined {
  if (!entries || entries.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const e of entries) {
    const f = fields(e);
    const value = f.get(2)?.[0] ?? Buffer.alloc(0);
    out[str(f, 1)] = asBase64 ? value.toString('base64') : value.toString('utf8');
  }
  return out;
}

/** ObjectMeta: name 1, generateName 2, namespace 3, labels 11, annotations 12, finalizers 14. */
function objectMeta(raw: Buffer | undefined): Record<string, unknown> {
  const f = fields(raw ?? Buffer.alloc(0));
  const meta: Record<string, unknown> = {};
  if (str(f, 1)) meta.name = str(f, 1);
  if (str(f, 2)) meta.generateName = str(f, 2);
  if (str(f, 3)) meta.namespace = str(f, 3);
  const labels = map(f.get(11), false);
  const annotations = map(f.get(12), false);
  if (labels) meta.labels = labels;
  if (annotations) meta.annotations = annotations;
  const finalizers = f.get(14)?.map((b) => b.toString('utf8'));
  if (finalizers) meta.finalizers = finalizers;
  return meta;
}

/**
 * The core objects that kubectl's typed create commands send as protobuf (create namespace / configmap / secret /
 * serviceaccount), decoded to their JSON form. Other kinds are refused with 415 like an unsupported encoding.
 */
export function coreObjectFromProtobuf(apiVersion: string, kind: string, raw: Buffer): Record<string, unknown> | null {
  if (apiVersion !== 'v1') return null;
  const f = fields(raw);
  const metadata = objectMeta(f.get(1)?.[0]);
  switch (kind) {
    case 'Namespace':
      return { apiVersion, kind, metadata };
    case 'ConfigMap': {
      const data = map(f.get(2), false);
      const binaryData = map(f.get(3), true);
      return { apiVersion, kind, metadata, ...(data ? { data } : {}), ...(binaryData ? { binaryData } : {}) };
    }
    case 'Secret': {
      const data = map(f.get(2), true);
      const stringData = map(f.get(4), false);
      return { apiVersion, kind, metadata, ...(data ? { data } : {}), ...(str(f, 3) ? { type: str(f, 3) } : {}), ...(stringData ? { stringData } : {}) };
    }
    case 'ServiceAccount':
      return { apiVersion, kind, metadata };
    default:
      return null;
  }
}
