import { describe, expect, test } from 'vitest';
import { audit, findingsOf, node, rulesFound, verdictOf } from '../helpers/objects.ts';

describe('node runtime rules', () => {
  test.each([
    ['docker://19.3.5', 'v1.17.0', undefined],
    ['docker://20.10.24', 'v1.23.17-eks-a5565ad', '/var/run/dockershim.sock'],
    ['docker://20.10.7', '', undefined],
  ])('DS040 dockershim: %s with kubelet %s', (runtime, kubelet, annotation) => {
    const report = audit([node('n1', runtime, kubelet, annotation)]);
    expect(rulesFound(report)).toEqual(['DS040']);
    expect(verdictOf(report, 'Node//n1')).toBe('high');
    expect(report.nodes[0]).toMatchObject({ dockerEngine: true, dockershim: true });
  });

  test('DS040 for a stale kubeadm annotation that still names dockershim on a containerd node', () => {
    const report = audit([node('n1', 'containerd://1.6.8', 'v1.23.5', '/var/run/dockershim.sock')]);
    expect(findingsOf(report, 'DS040')[0]?.message).toContain('annotation still names dockershim');
  });

  test.each([
    ['docker://24.0.7', 'v1.27.9', undefined],
    ['docker://20.10.7', 'v1.24.0', 'unix:///var/run/cri-dockerd.sock'],
    ['docker://20.10.7', '', 'unix:///var/run/cri-dockerd.sock'],
  ])('DS041 cri-dockerd: %s with kubelet %s', (runtime, kubelet, annotation) => {
    const report = audit([node('n1', runtime, kubelet, annotation)]);
    expect(rulesFound(report)).toEqual(['DS041']);
    expect(report.nodes[0]).toMatchObject({ dockerEngine: true, dockershim: false });
  });

  test.each([
    ['containerd://1.7.13', 'containerd'],
    ['cri-o://1.20.3-2.rhaos4.7.gitb53fa9d.el8', 'cri-o'],
  ])('DS042 inventory: %s', (runtime, name) => {
    const report = audit([node('n1', runtime, 'v1.28.5')]);
    expect(rulesFound(report)).toEqual(['DS042']);
    expect(verdictOf(report, 'Node//n1')).toBe('info');
    expect(report.nodes[0]).toMatchObject({ runtime: name, dockerEngine: false });
    expect(report.summary.nodesOnDocker).toBe(0);
  });
});
