/**
 * How kube-controller-manager and kube-scheduler turn their flags into an API client: --kubeconfig (and --master
 * overriding its server), client-go's error when neither is given, and the delegated authentication /
 * authorization kubeconfigs checked for readability like the real ones.
 */
import { ApiClient } from './client.js';
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
