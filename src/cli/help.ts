// The command reference printed by `kubeup --help` (the README repeats it).
import pkg from '../../package.json' with { type: 'json' };

export const VERSION = `kubeup ${pkg.version}`;

export const HELP = `kubeup: bring up a Kubernetes cluster on plain Linux hosts over SSH.

Usage:
  kubeup                                   open the setup wizard (needs a terminal)
  kubeup up   --profile NAME [--yes]       deploy a saved profile (or --file profile.yaml)
  kubeup up   --profile NAME --dry-run     print the plan and every rendered file; connect nowhere
  kubeup plan --profile NAME [--offline]   connect read-only and show per host what up would change (files
                                           added/changed with diffs, secrets hidden; binaries; restarts; hosts
                                           to add or remove); --offline: same as up --dry-run, connect nowhere
  kubeup status --profile NAME             drift, unit states and node readiness, read-only
                                           (exit 0 clean, 10 drift, 11 something down, 12 both)
  kubeup remove-node --profile NAME HOST [--yes] [--force] [--grace-period S] [--timeout S]
                                           cordon + drain (evictions; DaemonSet pods ignored), stop and clean the
                                           host, delete the Node, drop the host from the profile; --force: also
                                           pods without a controller, and a host that cannot be reached
  kubeup upgrade --profile NAME --to 1.35.x [--yes] [--dry-run] [--max-unavailable N]
                                           move the cluster to another release in the skew policy's order
                                           (API server, controllers, workers drained N at a time); run it again
                                           to continue a stopped one (exit 4: refused by the skew rules)
  kubeup certs check --profile NAME [--json]
                                           every certificate kubeup issued, here and on each host (read-only):
                                           subject, SANs, CA, expiry; a host's copy that is not this machine's
                                           (exit 0 ok, 20 one expires within 30 days, 21 within 7, expired or wrong)
  kubeup certs renew --profile NAME [--only NAME...] [--yes]
                                           issue leaf certificates again (the CAs stay), upload, restart what uses
                                           them, prove each daemon presents the new one; --only kube-apiserver,
                                           kubelet (every node's), kubelet-<node>, etcd-server, admin, ...
  kubeup render --profile NAME --out DIR   write every rendered remote file under DIR/<host>/
  kubeup cache prepare --profile NAME [--arch amd64,arm64]
                                           download and verify every release the profile needs, touch no host
  kubeup addons apply --profile NAME      apply the cluster add-ons (CoreDNS) alone, through the API
  kubeup down --profile NAME [--yes] [--purge]
                                           remove everything kubeup installed; --purge also drops the local CA
  kubeup profiles list                     saved profiles, one per line
  kubeup profiles show NAME                a profile as YAML
  kubeup profiles edit NAME                open the wizard on a saved profile
  kubeup profiles rm NAME [--yes]          remove a saved profile
  kubeup profiles export NAME [FILE]       write a profile as YAML (stdout without FILE)
  kubeup profiles import FILE [--name N] [--force]
                                           save a YAML profile (validated) under its name or N
  kubeup profiles import-env [--name N] [--env-file FILE] [--upgrade-versions] [--force]
                                           a profile from kube-up's variables (nodes, roles, NUM_NODES, KUBE_VERSION,
                                           ETCD_VERSION, FLANNEL_VERSION, SERVICE_CLUSTER_IP_RANGE, FLANNEL_NET,
                                           DNS_SERVER_IP, DNS_DOMAIN, SERVICE_NODE_PORT_RANGE), read from the
                                           environment or from FILE (e.g. cluster/ubuntu/config-default.sh)

Options:
  -p, --profile NAME        a saved profile          -f, --file FILE        a profile file (YAML)
  -y, --yes                 no questions (headless)  --dry-run              plan only, connect nowhere
  --concurrency N           hosts at once (10)       --accept-new-host-keys pin unknown host keys (like accept-new)
  --plain                   plain line output        -h, --help / -v, --version
  --force-unlock            take the cluster's locks from another run (up, down, remove-node). It risks two runs writing to
                            the same hosts at once: use it only when you know the other run has stopped.

Exit codes: 0 ok, 1 internal error, 2 usage (or no terminal for a question), 3 invalid profile, 4 preflight failed (or another run holds the lock),
5 deploy failed, 6 cluster validation failed, 130 cancelled.

Headless secrets: KUBEUP_SSH_PASSWORD, KUBEUP_SUDO_PASSWORD, KUBEUP_KEY_PASSPHRASE (never stored or logged).

Files: profiles in $KUBEUP_CONFIG_DIR or ~/.config/kubeup/profiles.json; cluster state (CA, certificates, run logs)
in $KUBEUP_STATE_DIR or ~/.local/state/kubeup/clusters/<profile>/.`;
