/** metav1.Status answers with the API server's message shapes. */
import type { Status } from '../client.js';

export class StatusError extends Error {
  constructor(readonly status: Status) {
    super(status.message);
    this.name = 'StatusError';
  }
}

export function make(code: number, reason: string, message: string, details?: Status['details']): StatusError {
  return new StatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  });
}

/** `group` is '' for core; the qualified resource prints as `nodes` or `leases.coordination.k8s.io`. */
export function qualified(resource: string, group: string): string {
  return group === '' ? resource : `${resource}.${group}`;
}

export const notFound = (resource: string, group: string, name: string): StatusError =>
  make(404, 'NotFound', `${qualified(resource, group)} "${name}" not found`, { name, ...(group ? { group } : {}), kind: resource });

export const alreadyExists = (resource: string, group: string, name: string): StatusError =>
  make(409, 'AlreadyExists', `${qualified(resource, group)} "${name}" already exists`, { name, ...(group ? { group } : {}), kind: resource });

export const conflict = (resource: string, group: string, name: string, why: string): StatusError =>
  make(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(resource, group)} "${name}": ${why}`, { name, ...(group ? { group } : {}), kind: resource });

export const badRequest = (message: string): StatusError => make(400, 'BadRequest', message);

export const invalid = (kind: string, name: string, group: string, causes: { field: string; message: string; type: string }[]): StatusError =>
  make(422, 'Invalid', `${kind} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`, {
    name,
    ...(group ? { group } : {}),
    kind,
    causes: causes.map((c) => ({ reason: c.type, message: c.message, field: c.field })),
  });

export const forbiddenStatus = (message: string, name: string | undefined, resource: string, group: string): StatusError =>
  make(403, 'Forbidden', message, { ...(name ? { name } : {}), ...(group ? { group } : {}), ...(resource ? { kind: resource } : {}) });

export const unauthorized = (): StatusError => make(401, 'Unauthorized', 'Unauthorized');

export const methodNotSupported = (resource: string, group: string, verb: string): StatusError =>
  make(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${qualified(resource, group)}"`, { ...(group ? { group } : {}), kind: resource });

export const unsupportedMediaType = (type: string): StatusError =>
  make(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${type})`);

export const internalError = (message: string): StatusError =>
  make(500, 'InternalError', `Internal error occurred: ${message}`);

export const serviceUnavailable = (message: string): StatusError => make(503, 'ServiceUnavailable', message);

export const notFoundPath = (): StatusError => make(404, 'NotFound', 'the server could not find the requested resource');
