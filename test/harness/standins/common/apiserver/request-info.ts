/**
 * URL + method -> the attributes authorization works on, like k8s.io/apiserver's RequestInfoFactory.
 */
export interface RequestInfo {
  readonly isResourceRequest: boolean;
  readonly path: string;
  readonly verb: string;
  readonly apiPrefix: 'api' | 'apis' | '';
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly namespace: string;
  readonly resource: string;
  readonly subresource: string;
  readonly name: string;
}

const methodVerbs: Record<string, string> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

export function requestInfo(method: string, url: URL): RequestInfo {
  const path = url.pathname;
  const base = { path, apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '', apiPrefix: '' as const };
  const nonResource = { ...base, isResourceRequest: false, verb: (method === 'HEAD' ? 'get' : method.toLowerCase()) };
  const parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent);
  const prefix = parts[0];
  if (prefix !== 'api' && prefix !== 'apis') return nonResource;
  let rest = parts.slice(1);
  let apiGroup = '';
  if (prefix === 'apis') {
    if (rest.length < 2) return nonResource;
    apiGroup = rest[0] as string;
    rest = rest.slice(1);
  }
  if (rest.length < 2) return nonResource; // /api/v1, /apis/g/v: discovery
  const apiVersion = rest[0] as string;
  rest = rest.slice(1);
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1] as string;
    rest = rest.slice(2);
  } else if (rest[0] === 'namespaces' && rest.length === 2) {
    // /api/v1/namespaces/{name} is the namespace object itself
    namespace = rest[1] as string;
  }
  const resource = rest[0] as string;
  const name = rest[0] === 'namespaces' && rest.length >= 2 ? (rest[1] as string) : (rest[1] ?? '');
  const subresource = rest[0] === 'namespaces' && rest.length >= 3 ? (rest[2] as string) : (rest[2] ?? '');
  let verb = methodVerbs[method] ?? method.toLowerCase();
  const watch = url.searchParams.get('watch');
  if (method === 'GET' && name === '') verb = watch === 'true' || watch === '1' ? 'watch' : 'list';
  if (method === 'DELETE' && name === '') verb = 'deletecollection';
  return {
    isResourceRequest: true,
    path,
    verb,
    apiPrefix: prefix,
    apiGroup,
    apiVersion,
    namespace: resource === 'namespaces' && name !== '' ? name : namespace,
    resource,
    subresource,
    name,
  };
}
