import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import { auditCluster } from '../../lambda/audit/run-fleet.ts';
import { ManifestSource } from '../../lambda/collect/manifest-source.ts';
import { objectsIn } from '../../lambda/collect/object-shape.ts';
import { parseDocuments } from '../../lambda/collect/parse-documents.ts';
import { agentConfigMapNames, bundledAgentCatalog } from '../../lambda/rules/agents/agent-catalog.ts';
import { auditLive, TOKEN } from '../helpers/live.ts';
import { CORPUS_DIR } from '../helpers/paths.ts';
import { ApiServerSimulator } from '../simulator/api-server.ts';
import { createTestPki, type TestPki } from '../simulator/certificates.ts';
import { clusterFromObjects } from '../simulator/cluster-data.ts';
import { writeKubeconfig } from '../simulator/kubeconfig.ts';

const expectations = parse(readFileSync(join(CORPUS_DIR, 'expected.yaml'), 'utf8')) as Array<{
  file: string;
}>;
const files = [...new Set(expectations.map((expectation) => expectation.file))];
let pki: TestPki;

beforeAll(async () => {
  pki = await createTestPki();
});

/** What a resource is, once a cluster has put every namespaced object in a namespace. */
const inCluster = (kind: string, namespace: string | undefined, name: string) =>
  `${kind}/${namespace ?? (kind === 'Node' ? '' : 'default')}/${name}`;

describe('each corpus file served as a live cluster audits as the file does', () => {
  test.each(files)('%s', async (file) => {
    const text = readFileSync(join(CORPUS_DIR, file), 'utf8');
    const objects = parseDocuments(text, file).documents.flatMap(objectsIn) as Record<string, unknown>[];
    const simulator = await ApiServerSimulator.start({
      data: clusterFromObjects(objects),
      tokens: { [TOKEN]: 'auditor' },
      pki,
    });
    try {
      const kubeconfig = await writeKubeconfig([
        { name: 'demo', server: simulator.url, caPem: simulator.caPem, user: { token: TOKEN } },
      ]);
      const live = await auditLive(kubeconfig);
      const files = await auditCluster(new ManifestSource('demo', [join(CORPUS_DIR, file)]), defaultPolicy());
      expect(live.status).toBe('complete');
      const verdicts = (report: typeof live) =>
        report.workloads
          // Kinds a cluster does not list for the audit (Tekton Tasks) and ConfigMaps no agent is configured by stay out of it.
          .filter((workload) => !['Task', 'ClusterTask'].includes(workload.resource.kind))
          .map(
            (workload) =>
              `${inCluster(workload.resource.kind, workload.resource.namespace, workload.resource.name)} ${workload.verdict}`,
          )
          .sort();
      // A live audit reads only the ConfigMaps agents are configured by (deploy/rbac.yaml).
      const readLive = new Set(agentConfigMapNames(bundledAgentCatalog()));
      const fromFiles = verdicts(files).filter(
        (entry) => !entry.startsWith('ConfigMap/') || readLive.has(entry.split(' ')[0]?.split('/')[2] ?? ''),
      );
      expect(verdicts(live)).toEqual(fromFiles);
    } finally {
      await simulator.close();
    }
  });
});
