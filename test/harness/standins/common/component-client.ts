/**
 * How kube-controller-manager and kube-scheduler turn their flags into an API client: --kubeconfig (and --master
 * overriding its server), client-go's error when neither is given, and the delegated authentication /
 * authorization kubeconfigs checked for readability like the real ones.
 */
import { ApiClient, ApiError, isNotFound } from './client.js';
import { StandinExit } from './errors.js';
import { loadKubeconfig, type ClientConfig } from './kubeconfig.js';
import { klog } from './klog.js';

const log = klog('client_config.go:667');

export function clientFromKubeconfig(kubeconfigPath: string, master: string, userAgent: string): ApiClient {
  if (kubeconfigPath === '' && master === '') {
    log.warning('Neither --kubeconfig nor --master was specified.  Using the inClusterConfig.  This might not work.');
    throw new StandinExit('invalid configuration: no configuration has been provided, try setting KUBERNETES_MASTER environment variable');
  }
  if (kubeconfigPath === '') throw new StandinExit(`--master ${master} without --kubeconfig: the stand-in needs client credentials from a kubeconfig`);
  let cfg: ClientConfig = loadKubeconfig(kubeconfigPath);
  if (master !== '') cfg = { ...cfg, server: master.replace(/\/+$/, '') };
  return new ApiClient(cfg, { userAgent });
}

/** --authentication-kubeconfig / --authorization-kubeconfig: loaded (so bad files fail start-up) when given. */
export function checkDelegationKubeconfigs(authn: string, authz: string): void {
  if (authn) loadKubeconfig(authn);
  else {
    klog('authentication.go:432').warning('No authentication-kubeconfig provided in order to lookup client-ca-file in configmap/extension-apiserver-authentication in kube-system, so client certificate authentication won\'t work.');
  }
  if (authz) loadKubeconfig(authz);
  else klog('authorization.go:193').warning('No authorization-kubeconfig provided, so SubjectAccessReview of authorization tokens won\'t work.');
}

/**
 * The delegated authentication's in-cluster lookup at start (k8s.io/apiserver/pkg/server/options/authentication.go,
 * DelegatingAuthenticationOptions.ApplyTo): without --requestheader-client-ca-file the component reads the configmap
 * kube-system/extension-apiserver-authentication as the --authentication-kubeconfig user. NotFound is fine (nothing
 * to load); any other error (forbidden while the API server's RBAC bootstrap has not written the
 * extension-apiserver-authentication-reader role yet, connection refused while it is not up) is fatal for
 * kube-controller-manager, and only warned about by kube-scheduler (TolerateInClusterLookupFailure = true in
 * cmd/kube-scheduler/app/options/options.go). The real kube-controller-manager's first start then fails with
 * `"command failed" err="unable to load configmap based request-header-client-ca-file: configmaps
 * \"extension-apiserver-authentication\" is forbidden: ..."` (as quoted in test/utils/localupcluster).
 */
export async function lookupInClusterAuthentication(authnKubeconfig: string, component: string, tolerate: boolean): Promise<void> {
  if (authnKubeconfig === '') return;
  const client = new ApiClient(loadKubeconfig(authnKubeconfig), { userAgent: component });
  try {
    await client.get({ namespace: 'kube-system', resource: 'configmaps', name: 'extension-apiserver-authentication' });
  } catch (err) {
    if (isNotFound(err)) return;
    const msg = err instanceof Error ? err.message : String(err);
    if (err instanceof ApiError && err.code === 403) {
      klog('requestheader_controller.go:204').warningf(
        "Unable to get configmap/extension-apiserver-authentication in kube-system.  Usually fixed by 'kubectl create rolebinding -n kube-system ROLEBINDING_NAME --role=extension-apiserver-authentication-reader --serviceaccount=YOUR_NS:YOUR_SA'",
      );
    }
    if (!tolerate) throw new StandinExit(`unable to load configmap based request-header-client-ca-file: ${msg}`);
    const warn = klog('authentication.go:372');
    warn.warningf(`Error looking up in-cluster authentication configuration: ${msg}`);
    warn.warningf('Continuing without authentication configuration. This may treat all requests as anonymous.');
    warn.warningf('To require authentication configuration lookup to succeed, set --authentication-tolerate-lookup-failure=false');
  } finally {
    client.close();
  }
}
