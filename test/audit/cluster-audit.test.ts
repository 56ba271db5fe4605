import { describe, expect, test } from 'vitest';
import { ClusterAudit, NOTHING_READ_REASON } from '../../lambda/audit/cluster-audit.ts';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import { applyPolicyConfig, parsePolicyConfig } from '../../lambda/config/audit-config.ts';
import { ConfigError } from '../../lambda/config/errors.ts';
import type { KubeObject } from '../../lambda/kube/objects.ts';
import type { WorkloadRule } from '../../lambda/rules/rule.ts';
import { audit, daemonSet, findingsOf, node, podSpec } from '../helpers/objects.ts';

const socketDs = (name: string) =>
  daemonSet(
    name,
    podSpec({
      hostPaths: { s: '/var/run/docker.sock' },
      containers: [{ mounts: [{ volume: 's', at: '/s' }] }],
    }),
  );

describe('the engine never lets a rule crash the run or pass by crashing', () => {
  test('a rule that throws becomes an error for that object, the other rules still run, the cluster is partial', () => {
    const exploding: WorkloadRule = {
      id: 'DS999',
      title: 'explodes',
      severity: 'high',
      target: 'workload',
      rationale: 'test',
      remediation: 'test',
      references: [],
      detect() {
        throw new Error('boom');
      },
    };
    const policy = defaultPolicy();
    const run = new ClusterAudit('c', { ...policy, rules: [...policy.rules, exploding] });
    run.add(socketDs('agent'));
    const report = run.finish({ type: 'manifests', paths: [] }, { status: 'complete' });
    expect(report.status).toBe('partial');
    expect(report.errors).toEqual([{ source: 'rule DS999 on DaemonSet/default/agent', message: 'boom' }]);
    expect(report.findings.map((f) => f.rule)).toEqual(['DS001']);
  });

  test('malformed objects are read defensively: each is counted, its junk passed over, what is valid beside it still audited', () => {
    const socket = { name: 's', hostPath: { path: '/var/run/docker.sock' } };
    const weird = [
      {
        kind: 'DaemonSet',
        metadata: { name: 'x' },
        spec: { template: { spec: { containers: 'nope', volumes: [null, 3] } } },
      },
      {
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: {
          containers: [
            7,
            { volumeMounts: [{ name: 5 }], env: [{ name: 'DOCKER_HOST', value: 7 }] },
            { name: 'ok', volumeMounts: [null, { name: 's', mountPath: '/s' }] },
          ],
          volumes: ['junk', socket],
        },
      },
      { kind: 'Node', metadata: { name: 'n' }, status: { nodeInfo: { containerRuntimeVersion: 42 } } },
      {
        kind: 'Node',
        metadata: { name: 'd', labels: 'junk' },
        status: { nodeInfo: { containerRuntimeVersion: 'docker://20.10.24', kubeletVersion: ['x'] } },
      },
      { kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: null, b: ['x'] } },
    ];

    const report = audit(weird as never);

    expect(report.status).toBe('complete');
    expect(report.errors).toEqual([]);
    expect(report.objects).toEqual({ DaemonSet: 1, Pod: 1, Node: 2, ConfigMap: 1 });
    expect(
      report.nodes.map(({ name, runtime, runtimeVersion, dockerEngine }) => ({
        name,
        runtime,
        runtimeVersion,
        dockerEngine,
      })),
    ).toEqual([
      { name: 'd', runtime: 'docker', runtimeVersion: '20.10.24', dockerEngine: true },
      { name: 'n', runtime: 'unknown', runtimeVersion: '', dockerEngine: false },
    ]);
    expect(
      report.findings
        .map((f) => `${f.rule} ${f.resource.kind}/${f.resource.name} ${f.container ?? '-'}`)
        .sort(),
    ).toEqual(['DS001 Pod/p ok', 'DS040 Node/d -']);
    expect(findingsOf(report, 'DS001')[0]?.evidence).toEqual({
      hostPath: '/var/run/docker.sock',
      mountPath: '/s',
    });
    expect(report.summary).toMatchObject({ workloadsAffected: 1, nodesOnDocker: 1 });
  });

  test('malformed ownerReferences: the pod stands for itself and is still audited', () => {
    const socketPod = (name: string, ownerReferences: unknown) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 't', ownerReferences },
      spec: {
        containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 's', mountPath: '/s' }] }],
        volumes: [{ name: 's', hostPath: { path: '/var/run/docker.sock' } }],
      },
    });
    const report = audit([socketPod('object', {}), socketPod('junk', [null, { name: 3 }, 'x'])] as never);
    expect(report.errors).toEqual([]);
    expect(report.status).toBe('complete');
    expect(report.findings.map((f) => `${f.rule} ${f.resource.kind}/${f.resource.name}`).sort()).toEqual([
      'DS001 Pod/junk',
      'DS001 Pod/object',
    ]);
  });
});

describe('policy from config: severity overrides, disabled rules, exemptions with reasons', () => {
  const now = new Date('2026-11-22T12:00:00Z');

  test('a severity override changes the finding and the verdict', () => {
    const policy = applyPolicyConfig(
      defaultPolicy(now),
      parsePolicyConfig({ rules: { DS001: { severity: 'medium' } } }, 'p'),
    );
    expect(audit([socketDs('a')], policy).workloads[0]?.verdict).toBe('medium');
  });

  test('a disabled rule does not run', () => {
    const policy = applyPolicyConfig(
      defaultPolicy(now),
      parsePolicyConfig({ rules: { DS001: { enabled: false } } }, 'p'),
    );
    expect(audit([socketDs('a')], policy).findings).toEqual([]);
  });

  test('an exemption keeps the finding, marks it, and takes it out of verdicts and counts', () => {
    const config = parsePolicyConfig(
      {
        exemptions: [
          {
            rule: 'DS001',
            resource: 'DaemonSet/default/legacy-*',
            reason: 'moves with the last Docker pool',
            expires: '2027-01-31',
          },
        ],
      },
      'p',
    );
    const report = audit(
      [socketDs('legacy-agent'), socketDs('other')],
      applyPolicyConfig(defaultPolicy(now), config),
    );
    const exempt = report.findings.filter((f) => f.exemption);
    expect(exempt.map((f) => f.resource.name)).toEqual(['legacy-agent']);
    expect(exempt[0]?.exemption).toEqual({
      reason: 'moves with the last Docker pool',
      expires: '2027-01-31',
    });
    expect(report.workloads.map((w) => w.resource.name)).toEqual(['other']);
    expect(report.summary).toMatchObject({ exempted: 1, workloadsAffected: 1 });
  });

  test('an expired exemption no longer applies: the finding is back, unmarked, in the verdict and the counts', () => {
    const exemptUntil = (expires: string) =>
      applyPolicyConfig(
        defaultPolicy(now),
        parsePolicyConfig({ exemptions: [{ rule: 'DS001', reason: 'old', expires }] }, 'p'),
      );
    const unexempted = audit([socketDs('a')], defaultPolicy(now));

    const expired = audit([socketDs('a')], exemptUntil('2026-01-01'));
    const current = audit([socketDs('a')], exemptUntil('2027-01-01'));

    expect(unexempted.findings.map((f) => `${f.rule} ${f.resource.kind}/${f.resource.name}`)).toEqual([
      'DS001 DaemonSet/a',
    ]);
    expect(expired.findings).toEqual(unexempted.findings);
    expect(expired.findings[0]).not.toHaveProperty('exemption');
    expect(expired.workloads).toEqual(unexempted.workloads);
    expect(expired.summary).toEqual({ ...unexempted.summary, exempted: 0 });
    // The same exemption before its date takes the finding out: the date is what decides.
    expect(current.findings[0]?.exemption).toEqual({ reason: 'old', expires: '2027-01-01' });
    expect(current.workloads).toEqual([]);
    expect(current.summary.exempted).toBe(1);
  });

  test.each([
    [{ rules: { DS999: { severity: 'low' } } }, 'no such rule'],
    [{ rules: { DS001: { severity: 'urgent' } } }, 'severity must be one of'],
    [{ exemptions: [{ rule: 'DS001' }] }, 'reason is required'],
    [{ exemptions: [{ reason: 'x' }] }, 'must name a rule, a resource or a findingId'],
    [{ exemptions: [{ reason: 'x', resource: 'falco' }] }, 'Kind/namespace/name'],
    [{ exemptions: [{ reason: 'x', rule: 'DS001', expires: 'soon' }] }, 'YYYY-MM-DD'],
    [{ agents: [{ id: 'a' }] }, 'vendor must be a non-empty string'],
    [{ severity: {} }, 'unknown setting'],
  ])('rejects %j with a clear error', (input, message) => {
    expect(() => parsePolicyConfig(input, 'policy.yaml')).toThrow(ConfigError);
    expect(() => parsePolicyConfig(input, 'policy.yaml')).toThrow(message);
  });
});

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
