/**
 * Stand-in for kube-apiserver: the real binary's flags (of the version it was built as), TLS with client
 * certificates, Node + RBAC authorization, objects in the real etcd. See test/README.md, "Stand-ins".
 */
import { runStandin, versionParts } from './common/index.js';
import { apiServerConfig } from './common/apiserver/options.js';
import { ApiServer } from './common/apiserver/server.js';

runStandin({
  description:
    'The Kubernetes API server validates and configures data for the api objects which include pods, services, replicationcontrollers, and others. The API Server services REST operations and provides the frontend to the cluster\'s shared state through which all other components interact.',
  main: async (flags, info) => {
    const cfg = apiServerConfig(flags);
    const { major, minor } = versionParts(info.version);
    const server = new ApiServer(cfg, { gitVersion: info.version, major, minor });
    await server.start();
    return { close: () => server.close() };
  },
});
