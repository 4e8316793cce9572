// A unit that talks to the API server starts only once the API server is ready. `After=kube-apiserver.service`
// orders only the fork of a Type=simple unit, and the API server is not ready until its post-start hooks finished
// (RBAC bootstrap roles, system namespaces: /readyz lists them); before that, kube-controller-manager's first start
// fails ("forbidden ... extension-apiserver-authentication") and the others log forbidden errors. Workers have no
// systemd ordering with the master at all. So each such unit waits in ExecStartPre for /readyz to answer 200 to its
// own client certificate (which also proves its RBAC is there), with a bound: past it the start fails, the journal
// says why, and Restart= tries again.
//
// The probe is openssl s_client: it is on every host with ca-certificates (Debian and Ubuntu's ca-certificates
// depend on it; RHEL ships it in the base system); preflight checks for it. curl and wget are often missing.
import { BIN_DIR, CA_CERT, certPath, keyPath, type KubeconfigComponent } from './paths.js';
import { header } from './text.js';
import { ROOT, type RenderContext, type RenderedFile } from './types.js';
import { KUBECONFIG_USERS, kubeconfigServer } from './kubeconfig.js';

export const WAIT_APISERVER = `${BIN_DIR}/kubeup-wait-ready`;

/** How long a unit waits for the API server before its start fails; systemd's start timeout is a little longer. */
export const WAIT_BOUND_SECONDS = 120;
export const START_TIMEOUT_SECONDS = WAIT_BOUND_SECONDS + 30;

const MODE_EXECUTABLE = 0o755;

// POSIX sh; polls with a short, growing pause (0.1, 0.2, 0.5, then 1 s) so the unit starts within a second of readiness.
// Each failing answer is logged once when it changes, so the journal shows what the unit waited for.
const SCRIPT = `set -u
url=$1 ca=$2 cert=$3 key=$4 bound=$5 path=\${6:-/readyz} want=\${7:-}
hostport=\${url#https://}
hostport=\${hostport%%/*}
start=$(date +%s)
last=
pause=0.1
while :; do
  answer=$(printf 'GET %s HTTP/1.0\\r\\nHost: %s\\r\\n\\r\\n' "$path" "$hostport" |
    timeout 5 openssl s_client -quiet -verify_return_error -CAfile "$ca" -cert "$cert" -key "$key" -connect "$hostport" 2>&1)
  status=$(printf '%s\\n' "$answer" | sed -n 's/^HTTP\\/1\\.[01] \\([0-9][0-9][0-9]\\).*/\\1/p' | head -n 1)
  if [ "$status" = 200 ]; then
    [ -z "$want" ] && exit 0
    printf '%s\\n' "$answer" | grep -q -- "$want" && exit 0
    status="200 without $want"
  fi
  if [ -n "$status" ]; then
    why="HTTP $status $(printf '%s\\n' "$answer" | grep -E '^\\[-\\]|"message"' | tr -s ' \\n' ' ' | cut -c1-300)"
  else
    why=$(printf '%s\\n' "$answer" | grep -v '^depth=\\|^verify return' | tail -n 1 | sed 's/^[0-9A-F]*:error:[0-9A-F]*://' | cut -c1-300)
  fi
  [ "$why" != "$last" ] && echo "kubeup: waiting for $url$path: $why" >&2 && last=$why
  if [ $(( $(date +%s) - start )) -ge "$bound" ]; then
    echo "Error: $url$path was not ready within $bound s (last answer: $why)" >&2
    exit 1
  fi
  sleep "$pause"
  case $pause in 0.1) pause=0.2 ;; 0.2) pause=0.5 ;; *) pause=1 ;; esac
done
`;

export function renderWaitScript(ctx: RenderContext): RenderedFile {
  return {
    path: WAIT_APISERVER,
    mode: MODE_EXECUTABLE,
    owner: ROOT,
    content: `#!/bin/sh\n${header(ctx.cluster.name)}\n# usage: kubeup-wait-ready URL CA-FILE CERT-FILE KEY-FILE SECONDS\n# Exits 0 once URL/readyz answers 200 to this client certificate, 1 after SECONDS.\n${SCRIPT}`,
    // A changed script takes effect at the next start of each unit that runs it; nothing to restart for it.
    restarts: [],
  };
}

/** The ExecStartPre line of a unit whose daemon reaches the API server as `component`. */
export function waitForApiServer(ctx: RenderContext, component: KubeconfigComponent, path?: string, text?: string): string {
  const { identity } = KUBECONFIG_USERS[component];
  return [WAIT_APISERVER, kubeconfigServer(ctx.cluster, component), CA_CERT, certPath(identity), keyPath(identity), String(WAIT_BOUND_SECONDS), ...(path ? [path] : []), ...(text ? [text] : [])].join(' ');
}

/**
 * flanneld's kube subnet manager exits at once when its Node has no spec.podCIDR yet ("failed to acquire lease:
 * node ... pod cidr not assigned"): it starts only once kube-controller-manager has given the Node one.
 */
export function waitForPodCidr(ctx: RenderContext): string {
  return waitForApiServer(ctx, 'flannel', `/api/v1/nodes/${ctx.host.nodeName}`, 'podCIDR');
}
