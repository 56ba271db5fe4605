import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KubeApiClient } from '../../lambda/collect/kube/api-client.ts';
import { AUDITED_RESOURCES, discoverResources } from '../../lambda/collect/kube/discovery.ts';
import { kubeconfigEndpoint, kubeconfigFromFile } from '../../lambda/collect/kube/kubeconfig-endpoint.ts';
import type { ClusterReport } from '../../lambda/report/model.ts';
import { generatedCluster } from '../simulator/generated-cluster.ts';
import { writeKubeconfig } from '../simulator/kubeconfig.ts';
import { auditAsManifests, auditRealServer, conclusions, readByLiveAudit } from './compare.ts';
import { installAuditedCrds } from './crds.ts';
import { compactEverything } from './etcd.ts';
import { generatedObjects } from './generated-objects.ts';
import { ClusterLoader, type LoadOutcome } from './load.ts';
import { startPassThroughProxy } from './proxy.ts';
import { readerRbac, setReaderRules } from './rbac.ts';
import { type RealApiServer, realApiServerForTests, startRealApiServer } from './server.ts';

const binary = realApiServerForTests();
const PODS = 1_200;

/** A nightly backup CronJob as its chart writes it today: batch/v1, which 1.20 does not serve. */
const cronJob = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'image-gc', namespace: 'ops' },
  spec: {
    schedule: '0 3 * * *',
    jobTemplate: {
      spec: {
        template: {
          spec: {
            restartPolicy: 'OnFailure',
            containers: [
              {
                name: 'gc',
                image: 'docker:24-cli',
                args: ['docker', 'image', 'prune', '-af'],
                volumeMounts: [{ name: 'docker', mountPath: '/var/run/docker.sock' }],
              },
            ],
            volumes: [{ name: 'docker', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } }],
          },
        },
      },
    },
  },
};

let server: RealApiServer;
const loaded: LoadOutcome[] = [];
let direct: ClusterReport;

describe.runIf(binary !== undefined)('a generated cluster on a real kube-apiserver (v1.20)', () => {
  beforeAll(async () => {
    server = await startRealApiServer({ binary: binary ?? '' });
    await installAuditedCrds(server.admin);
    await setReaderRules(server.admin, readerRbac().rules);
    const loader = new ClusterLoader(server.admin);
    const { data } = generatedCluster({ pods: PODS });
    for (const batch of generatedObjects(data)) loaded.push(await loader.load(batch));
    loaded.push(await loader.load([cronJob]));
    direct = await auditRealServer(server.kubeconfigs.reader, { pageSize: 250 });
  }, 900_000);
  afterAll(() => server?.close());

  const created = () => loaded.flatMap((outcome) => outcome.created);

  test('every object is accepted, with Nodes and Pods given their status as kubelets report it', async () => {
    expect(loaded.flatMap((outcome) => [...outcome.failed, ...outcome.skipped])).toEqual([]);
    const nodes = (await server.admin.json('GET', '/api/v1/nodes?limit=1')) as {
      items: Array<{ status: { nodeInfo: { containerRuntimeVersion: string } } }>;
    };
    expect(nodes.items[0]?.status.nodeInfo.containerRuntimeVersion).toMatch(/^(docker|containerd):\/\//);
  });

  test('the live report says what the manifest report says over the same objects', async () => {
    const manifests = await auditAsManifests(created().filter(readByLiveAudit));
    expect({ status: direct.status, errors: direct.errors }).toEqual({ status: 'complete', errors: [] });
    expect(direct.objects.Pod).toBe(PODS);
    expect(conclusions(direct)).toEqual(conclusions(manifests));
  });

  test('CronJobs are read as batch/v1beta1, the only version 1.20 serves', async () => {
    expect(loaded.flatMap((outcome) => outcome.adjusted)).toEqual([
      { object: 'CronJob/ops/image-gc', change: 'apiVersion batch/v1 -> batch/v1beta1' },
    ]);
    const endpoint = await kubeconfigEndpoint(kubeconfigFromFile(server.kubeconfigs.reader), 'demo');
    try {
      const { locations } = await discoverResources(new KubeApiClient(endpoint), AUDITED_RESOURCES);
      expect(locations.find((location) => location.kind === 'CronJob')?.path).toBe(
        '/apis/batch/v1beta1/cronjobs',
      );
    } finally {
      endpoint.close();
    }
    const finding = direct.findings.find((candidate) => candidate.resource.kind === 'CronJob');
    expect(finding?.resource).toMatchObject({ name: 'image-gc', namespace: 'ops' });
    expect(finding?.evidence.hostPath).toBe('/var/run/docker.sock');
  });

  test('a continue token expired by etcd compaction restarts the list, and nothing is lost or counted twice', async () => {
    let compacted = false;
    const proxy = await startPassThroughProxy({
      target: server.url,
      caPem: server.caPem,
      serverTls: server.serverTls,
      identity: server.identities.reader,
      // Before the second page of pods is asked for, etcd forgets the revision its token names.
      beforeForward: async (path) => {
        if (!compacted && path.startsWith('/api/v1/pods?') && path.includes('continue=')) {
          compacted = true;
          await compactEverything(server.etcdUrl);
        }
      },
    });
    try {
      const kubeconfig = await writeKubeconfig([
        { name: 'demo', server: proxy.url, caPem: server.caPem, user: server.identities.reader },
      ]);
      const report = await auditRealServer(kubeconfig, { pageSize: 250 });
      const podPages = proxy.requests.filter((request) => request.path.startsWith('/api/v1/pods?'));
      // The server itself said Gone, once; the list began again and read every page.
      expect(podPages.map((request) => request.status)).toEqual([
        200,
        410,
        ...Array(Math.ceil(PODS / 250)).fill(200),
      ]);
      expect({ status: report.status, errors: report.errors }).toEqual({ status: 'complete', errors: [] });
      expect(conclusions(report)).toEqual(conclusions(direct));
    } finally {
      await proxy.close();
    }
  });
});
