// The bounded wait for CoreDNS: it says why DNS is not there (from the Deployment, its pods and their nodes as the
// API reports them), stops early when no controller will ever act, and never reports DNS as available when it is not.
import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../../../src/verify/api-client.js';
import { formatDnsReport, waitCoredns } from '../../../src/verify/addons-api.js';

type Routes = Record<string, unknown>;
function fakeApi(routes: () => Routes): ApiClient {
  return {
    server: 'https://api',
    request: async (_method: string, path: string) => {
      const body = routes()[path.split('?')[0]!];
      return body === undefined ? { status: 404, body: {}, text: '' } : { status: 200, body, text: JSON.stringify(body) };
    },
  } as unknown as ApiClient;
}

const DEPLOY = '/apis/apps/v1/namespaces/kube-system/deployments/coredns';
const PODS = '/api/v1/namespaces/kube-system/pods';

function clock() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

describe('waiting for CoreDNS', () => {
  it('stops after the no-controller grace when the Deployment never gets a status, and says so', async () => {
    const c = clock();
    const lines: string[] = [];
    const r = await waitCoredns(fakeApi(() => ({ [DEPLOY]: { metadata: { generation: 1 }, spec: { replicas: 2 }, status: {} } })), 2, { timeoutMs: 120_000, intervalMs: 2000, noControllerMs: 20_000, onStatus: (l) => lines.push(l), ...c });
    expect(r).toMatchObject({ ready: 0, wanted: 2, available: false });
    expect(r.reason).toMatch(/^the Deployment has no status: no deployment controller/);
    expect(c.now()).toBe(20_000);
    expect(lines[0]).toMatch(/^CoreDNS: 0 of 2 ready \(the Deployment has no status/);
    expect(formatDnsReport(r)).toMatch(/^CoreDNS: 0 of 2 ready, NOT available: the Deployment has no status/);
  });

  it('names each pod\'s trouble: not scheduled, image pull, no container status from the kubelet; bounded by the timeout', async () => {
    const c = clock();
    const deploy = { metadata: { generation: 1 }, spec: { replicas: 2 }, status: { observedGeneration: 1, replicas: 2, readyReplicas: 0, conditions: [{ type: 'Available', status: 'False', message: 'Deployment does not have minimum availability.' }] } };
    const pods = {
      items: [
        { metadata: { name: 'coredns-a' }, spec: { nodeName: 'h2' }, status: { phase: 'Pending', containerStatuses: [{ ready: false, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.k8s.io/coredns/coredns:v1.13.1"' } } }] } },
        { metadata: { name: 'coredns-b' }, spec: {}, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }] } },
        { metadata: { name: 'coredns-c' }, spec: { nodeName: 'h3' }, status: { phase: 'Pending' } },
      ],
    };
    const nodes = { '/api/v1/nodes/h2': { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, '/api/v1/nodes/h3': { status: { conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'container runtime is down' }] } } };
    const r = await waitCoredns(fakeApi(() => ({ [DEPLOY]: deploy, [PODS]: pods, ...nodes })), 2, { timeoutMs: 30_000, intervalMs: 2000, ...c });
    expect(r.available).toBe(false);
    expect(r.reason).toContain('pod coredns-a on h2: ImagePullBackOff (Back-off pulling image "registry.k8s.io/coredns/coredns:v1.13.1")');
    expect(r.reason).toContain('pod coredns-b not scheduled (Unschedulable: 0/3 nodes are available)');
    expect(r.reason).toContain("pod coredns-c on h3: Pending, no container status reported by the node's kubelet");
    expect(r.reason).toContain('node h3 is not Ready (KubeletNotReady: container runtime is down)');
    expect(r.reason).not.toContain('node h2');
    expect(r.reason).toMatch(/still so after 3\d s$/);
    expect(c.now()).toBeLessThanOrEqual(30_000);
  });

  it('is done once the observed generation is current and every replica is ready and available', async () => {
    const c = clock();
    let looks = 0;
    const r = await waitCoredns(
      fakeApi(() => {
        looks++;
        const ready = looks >= 3 ? 2 : 1;
        return { [DEPLOY]: { metadata: { generation: 2 }, spec: { replicas: 2 }, status: { observedGeneration: 2, readyReplicas: ready, availableReplicas: ready } }, [PODS]: { items: [] } };
      }),
      2,
      { timeoutMs: 60_000, intervalMs: 1000, ...c },
    );
    expect(r).toEqual({ ready: 2, wanted: 2, available: true });
    expect(formatDnsReport(r)).toBe('CoreDNS: 2 of 2 ready');
  });

  it('does not count replicas of an older generation', async () => {
    const c = clock();
    const r = await waitCoredns(fakeApi(() => ({ [DEPLOY]: { metadata: { generation: 3 }, spec: { replicas: 2 }, status: { observedGeneration: 2, readyReplicas: 2, availableReplicas: 2 } }, [PODS]: { items: [] } })), 2, { timeoutMs: 5000, intervalMs: 1000, ...c });
    expect(r.available).toBe(false);
  });

  it('a missing Deployment is reported, not waited for forever', async () => {
    const c = clock();
    const r = await waitCoredns(fakeApi(() => ({})), 2, { timeoutMs: 120_000, intervalMs: 2000, noControllerMs: 10_000, ...c });
    expect(r.reason).toMatch(/^Deployment kube-system\/coredns does not exist/);
    expect(c.now()).toBe(10_000);
  });
});
