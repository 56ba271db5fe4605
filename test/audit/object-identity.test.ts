import { describe, expect, test } from 'vitest';
import { ClusterAudit, NOTHING_READ_REASON } from '../../lambda/audit/cluster-audit.ts';
import { identityOf } from '../../lambda/audit/object-identity.ts';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import type { KubeObject } from '../../lambda/kube/objects.ts';
import { node, podSpec } from '../helpers/objects.ts';

const socketPod = (metadata?: Record<string, unknown>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  ...(metadata && { metadata }),
  spec: podSpec({
    hostPaths: { s: '/var/run/docker.sock' },
    containers: [{ name: 'build', mounts: [{ volume: 's', at: '/var/run/docker.sock' }] }],
  }),
});
const origin = { source: 'k8s/ci.yaml', document: 2, items: [3, 1] };

describe('what an object without metadata.name is called', () => {
  test('its generateName with a marker no real name can hold; else its place in the input', () => {
    expect(identityOf(socketPod({ generateName: 'runner-', namespace: 'ci' }), origin)).toEqual({
      ref: { kind: 'Pod', namespace: 'ci', name: 'runner-(generated)' },
      standIn: true,
    });
    expect(identityOf(socketPod(), origin)?.ref).toEqual({
      kind: 'Pod',
      name: '(unnamed: k8s/ci.yaml document 2 item 3.1)',
    });
    expect(identityOf(socketPod({ name: '' }), { ...origin, items: [] })?.ref.name).toBe(
      '(unnamed: k8s/ci.yaml document 2)',
    );
  });

  test('from a live source (no place): its uid, else a hash of its spec that is the same for the same spec', () => {
    expect(identityOf(socketPod({ uid: 'u-1' }))?.ref.name).toBe('(unnamed: uid u-1)');
    const hashed = identityOf(socketPod())?.ref.name;
    expect(hashed).toMatch(/^\(unnamed: spec sha256 [0-9a-f]{16}\)$/);
    expect(identityOf(socketPod())?.ref.name).toBe(hashed);
  });

  test('a name YAML read as a number is the name its author gave; a named object is not a stand-in', () => {
    expect(identityOf(socketPod({ name: 123 }))).toEqual({
      ref: { kind: 'Pod', name: '123' },
      standIn: false,
    });
    expect(identityOf(socketPod({ name: 'p' }))).toEqual({ ref: { kind: 'Pod', name: 'p' }, standIn: false });
  });
});

describe('unnamed objects in the audit', () => {
  const auditOf = (...objects: Array<[KubeObject, typeof origin?]>) => {
    const audit = new ClusterAudit('c', defaultPolicy());
    for (const [object, where] of objects) audit.add(object, where);
    return audit.finish({ type: 'manifests', paths: [] }, { status: 'complete' });
  };

  test('a generateName pod on the Docker socket has its finding, with an id that is the same on the next run', () => {
    const first = auditOf([socketPod({ generateName: 'runner-', namespace: 'ci' }), origin]);
    const again = auditOf([socketPod({ generateName: 'runner-', namespace: 'ci' }), origin]);
    expect(first.findings.map((finding) => finding.resource)).toEqual([
      { kind: 'Pod', namespace: 'ci', name: 'runner-(generated)' },
    ]);
    expect(again.findings.map((finding) => finding.id)).toEqual(first.findings.map((finding) => finding.id));
    expect(first.notes).toEqual([
      '1 object has no metadata.name and is reported under a stand-in name (the generateName with "(generated)", or the place in the input): Pod/ci/runner-(generated) (k8s/ci.yaml document 2 item 3.1).',
    ]);
  });

  test('an unnamed pod of a ReplicaSet is its Deployment’s finding; an unnamed Node is in the inventory', () => {
    const owned = socketPod({
      generateName: 'web-5d8f7c9b4-',
      namespace: 'shop',
      labels: { 'pod-template-hash': '5d8f7c9b4' },
      ownerReferences: [{ kind: 'ReplicaSet', name: 'web-5d8f7c9b4', controller: true }],
    });
    const { metadata: _metadata, ...unnamedNode } = node('n', 'docker://20.10.7', 'v1.22.1');
    const report = auditOf([owned, origin], [unnamedNode, { ...origin, items: [] }]);
    expect(report.findings.map((finding) => `${finding.resource.kind}/${finding.resource.name}`)).toContain(
      'Deployment/web',
    );
    expect(report.nodes.map((entry) => entry.name)).toEqual(['(unnamed: k8s/ci.yaml document 2)']);
  });
});

describe('a source that yielded nothing is never complete', () => {
  test.each([
    ['complete', undefined],
    ['partial', 'deadline reached'],
  ] as const)(
    'whatever the source said (%s), no object read is failed, with the reason',
    (status, reason) => {
      const audit = new ClusterAudit('c', defaultPolicy());
      const report = audit.finish(
        { type: 'kubernetes' },
        reason === undefined ? { status } : { status, reason },
      );
      expect(report.status).toBe('failed');
      expect(report.errors).toEqual([{ source: 'c', message: reason ?? NOTHING_READ_REASON }]);
    },
  );

  test('one object read is enough to be complete', () => {
    const audit = new ClusterAudit('c', defaultPolicy());
    audit.add(node('n', 'containerd://1.7.0', 'v1.28.0'));
    expect(audit.finish({ type: 'kubernetes' }, { status: 'complete' }).status).toBe('complete');
  });
});
