/**
 * What kube-controller-manager and kube-scheduler do with kube-system/extension-apiserver-authentication when they
 * delegate authentication (k8s.io/apiserver/pkg/server/options/authentication.go): one ConfigMapCAController per CA
 * key (k8s.io/apiserver/pkg/server/dynamiccertificates/configmap_cafile_content.go). While the ConfigMap exists but
 * a key is empty, each pass fails with `missing content for CA bundle "client-ca::kube-system::
 * extension-apiserver-authentication::<key>"`, reported through utilruntime.HandleError, for as long as it runs
 * (the controller re-queues with backoff and re-checks every minute). A ConfigMap that does not exist is not an
 * error there. The stand-in looks at start and then every `periodMs` (informer events stand in for the minute).
 */
import type { ApiClient } from './client.js';
import { isNotFound } from './client.js';
import { klog } from './klog.js';
import { delay } from './time.js';

const log = klog('runtime.go:142');
const KEYS = ['client-ca-file', 'requestheader-client-ca-file'];

export function caBundleName(key: string): string {
  return `client-ca::kube-system::extension-apiserver-authentication::${key}`;
}

/** One pass: the keys whose content is missing (none when the ConfigMap does not exist). */
export async function missingAuthenticationCAs(client: ApiClient): Promise<string[]> {
  let cm: { data?: Record<string, string> };
  try {
    cm = await client.json('GET', '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication');
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  return KEYS.filter((k) => !cm.data?.[k]);
}

export async function watchAuthenticationCAs(client: ApiClient, signal: AbortSignal, periodMs = 10_000): Promise<void> {
  while (!signal.aborted) {
    try {
      for (const key of await missingAuthenticationCAs(client)) {
        log.error('Unhandled Error', { err: `key failed with : missing content for CA bundle "${caBundleName(key)}"` });
      }
    } catch {
      // Read errors are the informer's to report; the stand-in's other loops log the API server's answers.
    }
    await delay(periodMs, signal).catch(() => undefined);
  }
}
