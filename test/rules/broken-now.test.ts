import { describe, expect, test } from 'vitest';
import { audit, daemonSet, findingsOf, node, pod, podSpec, verdictOf } from '../helpers/objects.ts';

const socketSpec = (nodeName?: string, extra: Record<string, string> = {}) =>
  podSpec({
    hostPaths: { sock: '/var/run/docker.sock', ...extra },
    containers: [
      {
        name: 'agent',
        mounts: [
          { volume: 'sock', at: '/var/run/docker.sock' },
          ...Object.keys(extra).map((volume) => ({ volume, at: `/x/${volume}` })),
        ],
      },
    ],
    ...(nodeName && { nodeName }),
  });
const owned = { owner: { kind: 'DaemonSet', name: 'agent' } };

describe('DS050 broken now: needs Docker Engine on a node without it (critical)', () => {
  test('a pod that needs the socket on a containerd node makes its workload critical', () => {
    const report = audit([
      node('docker-1', 'docker://20.10.7', 'v1.23.0'),
      node('containerd-1', 'containerd://1.7.0', 'v1.28.0'),
      daemonSet('agent', socketSpec()),
      pod('agent-aaaaa', socketSpec('docker-1'), owned),
      pod('agent-bbbbb', socketSpec('containerd-1'), owned),
    ]);
    const [finding] = findingsOf(report, 'DS050');
    expect(finding?.evidence).toMatchObject({
      hostPath: '/var/run/docker.sock',
      nodes: ['containerd-1'],
      nodeCount: 1,
    });
    expect(finding?.resource).toEqual({ kind: 'DaemonSet', namespace: 'default', name: 'agent' });
    expect(verdictOf(report, 'DaemonSet/default/agent')).toBe('critical');
  });

  test('a pod seen by two rules (mount and DOCKER_HOST) lists each node once', () => {
    const spec = podSpec({
      hostPaths: { sock: '/var/run/docker.sock' },
      containers: [
        {
          name: 'agent',
          env: { DOCKER_HOST: 'unix:///var/run/docker.sock' },
          mounts: [{ volume: 'sock', at: '/var/run/docker.sock' }],
        },
      ],
    });
    const report = audit([
      node('containerd-1', 'containerd://1.7.0', 'v1.28.0'),
      pod('agent-aaaaa', { ...spec, nodeName: 'containerd-1' }, owned),
      pod('agent-bbbbb', { ...spec, nodeName: 'containerd-1' }, owned),
    ]);
    expect(findingsOf(report, 'DS050').map((finding) => finding.evidence.nodes)).toEqual([['containerd-1']]);
  });

  test('not on Docker nodes', () => {
    const report = audit([
      node('docker-1', 'docker://20.10.7', 'v1.23.0'),
      pod('agent-aaaaa', socketSpec('docker-1'), owned),
    ]);
    expect(verdictOf(report, 'DaemonSet/default/agent')).toBe('high');
  });

  test('not when the node is not in the input: absence of evidence is not evidence', () => {
    expect(findingsOf(audit([pod('agent-aaaaa', socketSpec('elsewhere'), owned)]), 'DS050')).toEqual([]);
  });

  test('not for a multi-runtime agent, which works on containerd', () => {
    const report = audit([
      node('containerd-1', 'containerd://1.7.0', 'v1.28.0'),
      pod(
        'agent-aaaaa',
        socketSpec('containerd-1', { containerd: '/run/containerd/containerd.sock' }),
        owned,
      ),
    ]);
    expect(verdictOf(report, 'DaemonSet/default/agent')).toBe('low');
  });

  test('not for a template, which runs nowhere yet', () => {
    const report = audit([
      node('containerd-1', 'containerd://1.7.0', 'v1.28.0'),
      daemonSet('agent', socketSpec('containerd-1')),
    ]);
    expect(findingsOf(report, 'DS050')).toEqual([]);
  });
});
