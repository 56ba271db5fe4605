import { describe, expect, test } from 'vitest';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import { auditCluster } from '../../lambda/audit/run-fleet.ts';
import { ManifestSource } from '../../lambda/collect/manifest-source.ts';
import { objectsIn } from '../../lambda/collect/object-shape.ts';
import { parseDocuments } from '../../lambda/collect/parse-documents.ts';
import { verdictOf } from '../helpers/objects.ts';
import { CORPUS_DIR, FIXTURES_DIR } from '../helpers/paths.ts';

const scan = (paths: string[], stdin?: string | Buffer[]) =>
  auditCluster(
    new ManifestSource('files', paths, () => (Array.isArray(stdin) ? stdin : [stdin ?? ''])),
    defaultPolicy(),
  );

describe('reading manifests and snapshots', () => {
  test('a folder is read recursively: multi-document YAML, Lists, *List JSON, Argo {{ }} strings; other files are skipped', async () => {
    const report = await scan([`${FIXTURES_DIR}manifests/mixed-folder`]);
    expect(report.status).toBe('complete');
    expect(report.errors).toEqual([]);
    // A Helm values file is not an object, and the report says it was not one.
    expect(report.notes).toEqual([
      expect.stringMatching(
        /^1 document held no Kubernetes object \(no kind\).*mixed-folder\/values\.yaml document 1\.$/,
      ),
    ]);
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

  test('standard input in pieces that split a character is read as the text it is', async () => {
    const text = JSON.stringify({
      kind: 'List',
      items: [{ kind: 'Pod', metadata: { name: 'café' }, spec: {} }],
    });
    const bytes = Buffer.from(text);
    const split = bytes.indexOf(Buffer.from('é')) + 1;
    const report = await scan(['-'], [bytes.subarray(0, split), bytes.subarray(split)]);
    expect(report.status).toBe('complete');
    expect(report.objects).toEqual({ Pod: 1 });
  });

  test('empty standard input fails with its reason; named twice it is read once', async () => {
    const empty = await scan(['-'], '');
    expect(empty.status).toBe('failed');
    expect(empty.errors.map((error) => error.message)).toEqual([
      'standard input was empty: nothing was piped in (did the command before the pipe fail?)',
      'nothing was read from standard input',
    ]);
    const twice = await scan(['-', '-'], '{"kind":"Pod","metadata":{"name":"p"},"spec":{}}');
    expect(twice.objects).toEqual({ Pod: 1 });
    expect(twice.notes).toEqual(['Not read: (stdin) named twice: it is read once.']);
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
