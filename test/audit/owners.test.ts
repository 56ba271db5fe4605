import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../lambda/kube/objects.ts';
import { audit, daemonSet, pod, podSpec, workload } from '../helpers/objects.ts';

const socket = podSpec({
  hostPaths: { s: '/var/run/docker.sock' },
  containers: [{ name: 'c', mounts: [{ volume: 's', at: '/var/run/docker.sock' }] }],
});

function owned(kind: string, name: string, owner: { kind: string; name: string }): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: {
      name,
      namespace: 'default',
      ownerReferences: [{ kind: owner.kind, name: owner.name, controller: true }],
    },
    spec: {},
  };
}

const resources = (objects: KubeObject[]) =>
  audit(objects).findings.map((f) => `${f.resource.kind}/${f.resource.name}`);

describe('findings belong to the top-level owner', () => {
  test('pod → ReplicaSet → Deployment through ownerReferences, whatever the order', () => {
    const objects = [
      pod('web-7d4b9c8f6-abcde', socket, { owner: { kind: 'ReplicaSet', name: 'web-7d4b9c8f6' } }),
      owned('ReplicaSet', 'web-7d4b9c8f6', { kind: 'Deployment', name: 'web' }),
    ];
    expect(resources(objects)).toEqual(['Deployment/web']);
    expect(resources([...objects].reverse())).toEqual(['Deployment/web']);
  });

  test('the Deployment is inferred from pod-template-hash when the ReplicaSet is not in the input', () => {
    const objects = [
      pod('web-7d4b9c8f6-abcde', socket, {
        owner: { kind: 'ReplicaSet', name: 'web-7d4b9c8f6' },
        labels: { 'pod-template-hash': '7d4b9c8f6' },
      }),
    ];
    expect(resources(objects)).toEqual(['Deployment/web']);
  });

  test('without the hash label or the Deployment, the ReplicaSet stands', () => {
    const objects = [pod('rs-x-abcde', socket, { owner: { kind: 'ReplicaSet', name: 'rs-x' } })];
    expect(resources(objects)).toEqual(['ReplicaSet/rs-x']);
  });

  test('pod → Job → CronJob, with the Job present or not', () => {
    const withJob = [
      pod('backup-28900000-xyz12', socket, { owner: { kind: 'Job', name: 'backup-28900000' } }),
      owned('Job', 'backup-28900000', { kind: 'CronJob', name: 'backup' }),
    ];
    expect(resources(withJob)).toEqual(['CronJob/backup']);
    expect(resources(withJob.slice(0, 1))).toEqual(['CronJob/backup']);
  });

  test('pod → Workflow → CronWorkflow, the Workflow named after its scheduled second', () => {
    const objects = [
      pod('nightly-prune-1795323600-123', socket, {
        owner: { kind: 'Workflow', name: 'nightly-prune-1795323600' },
      }),
    ];
    expect(resources(objects)).toEqual(['CronWorkflow/nightly-prune']);
    expect(
      resources([pod('adhoc-x7k2p-1', socket, { owner: { kind: 'Workflow', name: 'adhoc-x7k2p' } })]),
    ).toEqual(['Workflow/adhoc-x7k2p']);
  });

  test('a Job that is not named like a CronJob run stands as a Job', () => {
    expect(
      resources([pod('migrate-x1-abcde', socket, { owner: { kind: 'Job', name: 'migrate-x1' } })]),
    ).toEqual(['Job/migrate-x1']);
  });

  test('a static pod (owned by its Node) and a bare pod stand for themselves', () => {
    const objects = [
      pod('kube-proxy-node-1', socket, { owner: { kind: 'Node', name: 'node-1' } }),
      pod('debug', socket),
    ];
    expect(resources(objects).sort()).toEqual(['Pod/debug', 'Pod/kube-proxy-node-1']);
  });

  test('an owner of a kind we do not know stands as given', () => {
    expect(
      resources([pod('job-1', socket, { owner: { kind: 'PipelineRun', name: 'nightly-build' } })]),
    ).toEqual(['PipelineRun/nightly-build']);
  });

  test("a workload owned by an operator's custom resource is still the workload", () => {
    const ds = daemonSet('instana-agent', socket);
    (ds.metadata as Record<string, unknown>).ownerReferences = [
      { kind: 'InstanaAgent', name: 'instana', controller: true },
    ];
    expect(resources([ds])).toEqual(['DaemonSet/instana-agent']);
  });
});

describe('one problem, one finding, one stable id', () => {
  test('a template and its pods give one finding per container and evidence', () => {
    const objects = [
      daemonSet('agent', socket),
      pod('agent-aaaaa', { ...socket, nodeName: 'n1' }, { owner: { kind: 'DaemonSet', name: 'agent' } }),
      pod('agent-bbbbb', { ...socket, nodeName: 'n2' }, { owner: { kind: 'DaemonSet', name: 'agent' } }),
    ];
    expect(audit(objects).findings).toHaveLength(1);
  });

  test('ids do not depend on pod names, node names or the order of the input', () => {
    const today = audit([
      pod('agent-aaaaa', { ...socket, nodeName: 'n1' }, { owner: { kind: 'DaemonSet', name: 'agent' } }),
    ]);
    const tomorrow = audit([
      pod('agent-zzzzz', { ...socket, nodeName: 'n9' }, { owner: { kind: 'DaemonSet', name: 'agent' } }),
    ]);
    expect(today.findings.map((f) => f.id)).toEqual(tomorrow.findings.map((f) => f.id));
    expect(today.findings[0]?.id).toMatch(/^DS001-[0-9a-f]{16}$/);
  });

  test('different containers or clusters give different ids', () => {
    const two = podSpec({
      hostPaths: { s: '/var/run/docker.sock' },
      containers: [
        { name: 'a', mounts: [{ volume: 's', at: '/s' }] },
        { name: 'b', mounts: [{ volume: 's', at: '/s' }] },
      ],
    });
    const ids = audit([workload('Deployment', 'x', two)]).findings.map((f) => f.id);
    expect(new Set(ids).size).toBe(2);
  });
});
