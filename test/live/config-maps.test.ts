import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import { auditCluster } from '../../lambda/audit/run-fleet.ts';
import { listManifestFiles, ManifestSource } from '../../lambda/collect/manifest-source.ts';
import { objectsIn } from '../../lambda/collect/object-shape.ts';
import { parseDocuments } from '../../lambda/collect/parse-documents.ts';
import type { KubeObject } from '../../lambda/kube/objects.ts';
import { auditLive, TOKEN } from '../helpers/live.ts';
import { configMap, daemonSet, podSpec } from '../helpers/objects.ts';
import { CORPUS_DIR } from '../helpers/paths.ts';
import { ApiServerSimulator } from '../simulator/api-server.ts';
import { clusterFromObjects } from '../simulator/cluster-data.ts';
import { writeKubeconfig } from '../simulator/kubeconfig.ts';

const TELEGRAF = '[[inputs.docker]]\n  endpoint = "unix:///var/run/docker.sock"\n';

/** A metrics agent whose config (in a ConfigMap no catalog knows) names the Docker socket. */
function agentReferring(how: 'volume' | 'projected' | 'envFrom' | 'configMapKeyRef'): KubeObject {
  const spec = podSpec({
    hostPaths: { run: '/var/run' },
    containers: [{ name: 'telegraf', mounts: [{ volume: 'run', at: '/var/run' }] }],
  }) as {
    volumes: unknown[];
    containers: Array<Record<string, unknown>>;
  };
  const container = spec.containers[0] as Record<string, unknown>;
  if (how === 'volume') spec.volumes.push({ name: 'config', configMap: { name: 'telegraf-config' } });
  if (how === 'projected')
    spec.volumes.push({
      name: 'config',
      projected: { sources: [{ configMap: { name: 'telegraf-config' } }] },
    });
  if (how === 'envFrom') container.envFrom = [{ configMapRef: { name: 'telegraf-config' } }];
  if (how === 'configMapKeyRef')
    container.env = [
      {
        name: 'TELEGRAF_CONFIG',
        valueFrom: { configMapKeyRef: { name: 'telegraf-config', key: 'telegraf.conf' } },
      },
    ];
  return daemonSet('telegraf', spec, 'monitoring');
}

const clusterObjects = (how: Parameters<typeof agentReferring>[0]): KubeObject[] => [
  agentReferring(how),
  configMap('telegraf-config', { 'telegraf.conf': TELEGRAF }, 'monitoring'),
  // The same name in another namespace: no pod there can use it.
  configMap('telegraf-config', { 'telegraf.conf': TELEGRAF }, 'staging'),
  // Unreferenced and not an agent's: a live audit never keeps it.
  configMap('runbook', { 'notes.md': 'restart with DOCKER_HOST=unix:///var/run/docker.sock' }, 'ops'),
  // Filler, so that the ConfigMap list takes several pages.
  ...Array.from({ length: 7 }, (_, index) =>
    configMap(`app-${index}`, { 'app.yaml': 'replicas: 1' }, 'apps'),
  ),
];

let simulator: ApiServerSimulator | undefined;
afterEach(() => simulator?.close());

async function serve(objects: KubeObject[]) {
  simulator = await ApiServerSimulator.start({
    data: clusterFromObjects(objects as Record<string, unknown>[]),
    tokens: { [TOKEN]: 'auditor' },
  });
  return writeKubeconfig([
    { name: 'demo', server: simulator.url, caPem: simulator.caPem, user: { token: TOKEN } },
  ]);
}

const configFindings = (findings: Array<{ rule: string; resource: { namespace?: string; name: string } }>) =>
  findings
    .filter((finding) => finding.rule.startsWith('DS02'))
    .map((finding) => `${finding.rule} ${finding.resource.namespace}/${finding.resource.name}`)
    .sort();

describe('live, the ConfigMaps that the audited workloads refer to are read', () => {
  test.each(['volume', 'projected', 'envFrom', 'configMapKeyRef'] as const)(
    'referred to through %s: found live, by namespace and name',
    async (how) => {
      const kubeconfig = await serve(clusterObjects(how));
      const report = await auditLive(kubeconfig, { pageSize: 3 });
      expect(report.status).toBe('complete');
      expect(configFindings(report.findings)).toEqual(['DS022 monitoring/telegraf-config']);
    },
  );

  test('one paged pass over the ConfigMaps, no request per name, and only the kept ones are audited', async () => {
    const kubeconfig = await serve(clusterObjects('volume'));
    const report = await auditLive(kubeconfig, { pageSize: 3 });
    const requests = simulator?.requests.filter((request) => request.path.endsWith('/configmaps')) ?? [];
    // 10 ConfigMaps, 3 per page: 4 pages, all of them of the same cluster-wide list.
    expect(requests.map((request) => request.path)).toEqual(Array(4).fill('/api/v1/configmaps'));
    expect(requests.every((request) => !request.query.has('fieldSelector'))).toBe(true);
    expect(report.objects.ConfigMap).toBe(1);
  });

  test('ConfigMap pages are smaller than other pages: a ConfigMap may hold 1 MiB', async () => {
    const kubeconfig = await serve(clusterObjects('volume'));
    await auditLive(kubeconfig);
    const limitOf = (path: string) =>
      simulator?.requests.find((request) => request.path === path)?.query.get('limit');
    expect({
      configMaps: limitOf('/api/v1/configmaps'),
      daemonSets: limitOf('/apis/apps/v1/daemonsets'),
    }).toEqual({
      configMaps: '100',
      daemonSets: '500',
    });
  });

  test('from files every ConfigMap is audited; live only those in use: the difference is exactly the unused ones', async () => {
    const kubeconfig = await serve(clusterObjects('volume'));
    const live = await auditLive(kubeconfig);
    const folder = await mkdtemp(join(tmpdir(), 'dsa-cm-'));
    await writeFile(
      join(folder, 'cluster.json'),
      JSON.stringify({ kind: 'List', items: clusterObjects('volume') }),
    );
    const files = await auditCluster(new ManifestSource('demo', [folder]), defaultPolicy());
    expect(configFindings(files.findings)).toEqual([
      'DS022 monitoring/telegraf-config',
      'DS022 ops/runbook',
      'DS022 staging/telegraf-config',
    ]);
    expect(configFindings(live.findings)).toEqual(['DS022 monitoring/telegraf-config']);
  });
});

describe('a real agent: Vector from its published manifests (test/corpus/vector)', () => {
  test('the ConfigMap it takes through a projected volume is read live, though no catalog names it', async () => {
    const files = await listManifestFiles(join(CORPUS_DIR, 'vector'));
    const objects = (
      await Promise.all(
        files.map(async (file) => parseDocuments(await readFile(file, 'utf8'), file).documents),
      )
    )
      .flat()
      .flatMap(objectsIn);
    const kubeconfig = await serve(objects);
    const live = await auditLive(kubeconfig);
    expect({ status: live.status, configMaps: live.objects.ConfigMap }).toEqual({
      status: 'complete',
      configMaps: 1,
    });
    const fromFiles = await auditCluster(
      new ManifestSource('demo', [join(CORPUS_DIR, 'vector')]),
      defaultPolicy(),
    );
    expect(live.findings.map((finding) => finding.message)).toEqual(
      fromFiles.findings.map((finding) => finding.message),
    );
  });
});
