import { describe, expect, test } from 'vitest';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import { auditCluster } from '../../lambda/audit/run-fleet.ts';
import { ManifestSource } from '../../lambda/collect/manifest-source.ts';
import { objectsIn } from '../../lambda/collect/object-shape.ts';
import { parseDocuments } from '../../lambda/collect/parse-documents.ts';
import { verdictOf } from '../helpers/objects.ts';
import { CORPUS_DIR, FIXTURES_DIR } from '../helpers/paths.ts';

const scan = (paths: string[], stdin?: string) =>
  auditCluster(new ManifestSource('files', paths, () => [stdin ?? '']), defaultPolicy());

describe('reading manifests and snapshots', () => {
  test('a folder is read recursively: multi-document YAML, Lists, *List JSON, Argo {{ }} strings; other files are skipped', async () => {
    const report = await scan([`${FIXTURES_DIR}manifests/mixed-folder`]);
    expect(report.status).toBe('complete');
    expect(report.errors).toEqual([]);
    expect(report.objects).toEqual({ DaemonSet: 1, Deployment: 1, Pod: 1, WorkflowTemplate: 1 });
    expect(verdictOf(report, 'DaemonSet/monitoring/socket-agent')).toBe('high');
    expect(verdictOf(report, 'Deployment/ci/builder')).toBe('high');
    expect(verdictOf(report, 'DaemonSet/logging/collector')).toBe('medium');
  });

  test('a file that cannot be parsed is named with its line; the other files and documents are still audited', async () => {
    const report = await scan([`${FIXTURES_DIR}manifests/broken-files`]);
    expect(report.status).toBe('partial');
    expect(verdictOf(report, 'DaemonSet/default/good')).toBe('high');
    expect(report.objects.ConfigMap).toBe(1);
    const sources = report.errors.map((error) => error.source);
    expect(sources).toEqual([
      expect.stringMatching(/helm-template\.yaml:11$/),
      expect.stringMatching(/truncated\.json:4$/),
    ]);
    expect(report.errors.map((error) => error.line)).toEqual([11, 4]);
  });

  test('a path that does not exist is an error, and with nothing read the cluster failed', async () => {
    const report = await scan(['/nonexistent/manifests']);
    expect(report.status).toBe('failed');
    expect(report.errors[0]).toEqual({ source: '/nonexistent/manifests', message: 'no such file or folder' });
  });

  test('standard input, as piped from kubectl get -o json', async () => {
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          kind: 'Node',
          apiVersion: 'v1',
          metadata: { name: 'n' },
          status: { nodeInfo: { containerRuntimeVersion: 'docker://20.10.7', kubeletVersion: 'v1.22.1' } },
        },
      ],
    };
    const report = await scan(['-'], JSON.stringify(list));
    expect(verdictOf(report, 'Node//n')).toBe('high');
  });

  test('a Node from a support bundle, without kind or apiVersion, is read as a Node', async () => {
    const report = await scan([`${CORPUS_DIR}snapshots/openshift-insights-node-crio.json`]);
    expect(report.nodes).toMatchObject([{ runtime: 'cri-o', dockerEngine: false }]);
  });

  test('the last-applied-configuration annotation never adds findings', async () => {
    const report = await scan([`${CORPUS_DIR}fluentd/k9s-gke-fluentd-gcp-daemonset.json`]);
    const rules = report.findings.filter((f) => f.severity !== 'info').map((f) => `${f.rule} ${f.container}`);
    expect(rules).toEqual(['DS007 fluentd-gcp']);
  });

  test('shapes: objects without kind are kept only when unmistakable', () => {
    expect(objectsIn({ metadata: { name: 'p' }, spec: { containers: [] } })[0]?.kind).toBe('Pod');
    expect(objectsIn({ replicaCount: 2 })).toEqual([]);
    expect(
      objectsIn({ kind: 'DaemonSetList', items: [{ kind: 'DaemonSet', metadata: { name: 'd' } }] }),
    ).toHaveLength(1);
  });

  test('JSON errors carry a line', () => {
    expect(parseDocuments('{\n "a": 1,\n}', 'x.json').errors[0]?.line).toBe(3);
  });
});
