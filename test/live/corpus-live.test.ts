import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import { auditCluster } from '../../lambda/audit/run-fleet.ts';
import { ManifestSource } from '../../lambda/collect/manifest-source.ts';
import { objectsIn } from '../../lambda/collect/object-shape.ts';
import { parseDocuments } from '../../lambda/collect/parse-documents.ts';
import type { Finding } from '../../lambda/report/model.ts';
import { auditLive, TOKEN } from '../helpers/live.ts';
import { CORPUS_DIR } from '../helpers/paths.ts';
import { ApiServerSimulator } from '../simulator/api-server.ts';
import { createTestPki, type TestPki } from '../simulator/certificates.ts';
import { clusterFromObjects, SERVED_KINDS } from '../simulator/cluster-data.ts';
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

/**
 * A finding as both sources must agree on it. The id is left out because it hashes the resource,
 * whose namespace a live cluster always fills in; the namespace is compared the same way here.
 */
function comparable(finding: Finding) {
  const { kind, namespace, name } = finding.resource;
  return {
    rule: finding.rule,
    severity: finding.severity,
    resource: inCluster(kind, namespace, name),
    container: finding.container ?? null,
    message: finding.message,
    evidence: finding.evidence,
    agent: finding.agent?.product ?? null,
  };
}

const byResourceAndRule = (a: ReturnType<typeof comparable>, b: ReturnType<typeof comparable>) =>
  JSON.stringify(a).localeCompare(JSON.stringify(b));

describe('each corpus file served as a live cluster gives the same findings as the file', () => {
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
      const fromFiles = await auditCluster(
        new ManifestSource('demo', [join(CORPUS_DIR, file)]),
        defaultPolicy(),
      );
      // Every list is read. A cluster that hands the audit nothing (a Tekton Task alone, which the
      // simulator does not serve; a ConfigMap alone that no workload or agent uses) is an empty
      // reading, and an empty reading is never complete.
      const readSomething = Object.values(live.objects).some((count) => count > 0);
      expect(live.status).toBe(readSomething ? 'complete' : 'failed');
      // What a cluster can hold: kinds an API server serves (not Tekton Tasks, which are CRDs the
      // simulator does not serve). Nothing else is left out: a ConfigMap with a finding that no
      // workload refers to and no agent is configured by would show up here as a difference.
      const served = (finding: Finding) => finding.resource.kind in SERVED_KINDS;
      expect(live.findings.map(comparable).sort(byResourceAndRule)).toEqual(
        fromFiles.findings.filter(served).map(comparable).sort(byResourceAndRule),
      );
    } finally {
      await simulator.close();
    }
  });
});
