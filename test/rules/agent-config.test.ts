import { describe, expect, test } from 'vitest';
import { audit, configMap, findingsOf, rulesFound, verdictOf } from '../helpers/objects.ts';

describe('DS020 Argo Workflows docker executor (high, on the ConfigMap)', () => {
  test('flat key in data (v2.7+)', () => {
    const report = audit([
      configMap('workflow-controller-configmap', { containerRuntimeExecutor: 'docker' }, 'argo'),
    ]);
    const [finding] = findingsOf(report, 'DS020');
    expect(finding?.evidence).toMatchObject({
      configKey: 'containerRuntimeExecutor',
      hostPath: '/var/run/docker.sock',
    });
    expect(finding?.agent?.product).toBe('Argo Workflows');
    expect(verdictOf(report, 'ConfigMap/argo/workflow-controller-configmap')).toBe('high');
  });

  test('a custom dockerSockPath is the evidence', () => {
    const report = audit([
      configMap('argo-wf', {
        containerRuntimeExecutor: 'docker',
        dockerSockPath: '/var/someplace/else/docker.sock',
      }),
    ]);
    expect(findingsOf(report, 'DS020')[0]?.evidence.hostPath).toBe('/var/someplace/else/docker.sock');
  });

  test('one YAML document under data.config (older releases)', () => {
    const report = audit([
      configMap('workflow-controller-configmap', {
        config: 'artifactRepository: {}\ncontainerRuntimeExecutor: docker\n',
      }),
    ]);
    expect(rulesFound(report)).toEqual(['DS020']);
  });

  test('docker picked for labelled workflows through containerRuntimeExecutors', () => {
    const executors =
      '- name: emissary\n  selector: {}\n- name: docker\n  selector:\n    matchLabels: {legacy: "true"}\n';
    const report = audit([
      configMap('wcc', { containerRuntimeExecutor: 'emissary', containerRuntimeExecutors: executors }),
    ]);
    expect(findingsOf(report, 'DS020').map((f) => f.evidence.configKey)).toEqual([
      'containerRuntimeExecutors[1]',
    ]);
  });

  test.each([
    ['emissary', { containerRuntimeExecutor: 'emissary' }],
    ['a comment about the docker default', { config: '# default: docker\ncontainerRuntimeExecutor: pns\n' }],
  ])('does not fire with %s', (_, data) => {
    expect(audit([configMap('workflow-controller-configmap', data)]).findings).toEqual([]);
  });
});

describe('DS021 SignalFx docker-container-stats monitor (high)', () => {
  const agentYaml = (monitor: string) =>
    `signalFxRealm: us0\nmonitors:\n- type: cpu\n- type: ${monitor}\n  dockerURL: unix:///var/run/docker.sock\n`;

  test('fires on the monitor, with its endpoint as evidence', () => {
    const report = audit([
      configMap('signalfx-agent-v5', { 'agent.yaml': agentYaml('docker-container-stats') }),
    ]);
    expect(rulesFound(report)).toEqual(['DS021']);
    expect(findingsOf(report, 'DS021')[0]?.evidence).toMatchObject({
      value: 'docker-container-stats',
      hostPath: '/var/run/docker.sock',
    });
  });

  test('a templated agent.yaml that is not valid YAML is still read', () => {
    const text = 'monitors:\n  {{- if .Values.docker }}\n  - type: docker-container-stats\n  {{- end }}\n';
    expect(rulesFound(audit([configMap('sfx', { 'agent.yaml': text })]))).toEqual(['DS021']);
  });

  test('kubelet-metrics alone is fine', () => {
    expect(
      audit([configMap('sfx', { 'agent.yaml': 'monitors:\n- type: kubelet-metrics\n' })]).findings,
    ).toEqual([]);
  });
});

describe('DS022/DS023 agent configuration naming the Docker socket', () => {
  test('a config that names the socket is high', () => {
    const report = audit([
      configMap('agent-config', { 'agent.toml': '[docker]\nendpoint = "unix:///var/run/docker.sock"\n' }),
    ]);
    const [finding] = findingsOf(report, 'DS022');
    expect(finding?.severity).toBe('high');
    expect(finding?.evidence).toMatchObject({ configKey: 'agent.toml', hostPath: '/var/run/docker.sock' });
  });

  test('beside containerd and CRI-O sockets it is low', () => {
    const yaml =
      'container_engines:\n  docker:\n    sockets: [/var/run/docker.sock]\n  cri:\n    sockets: [/run/containerd/containerd.sock, /run/crio/crio.sock]\n';
    expect(rulesFound(audit([configMap('falco', { 'falco.yaml': yaml })]))).toEqual(['DS023']);
  });

  test.each([
    [
      'a log parser named docker',
      '[INPUT]\n    Name tail\n    Parser docker\n    Path /var/log/containers/*.log\n',
    ],
    ['a commented-out socket', '# docker_host: unix:///var/run/docker.sock\nlog_level: info\n'],
    ['a docker image name', 'image: docker.io/library/nginx:1.25\n'],
  ])('%s is no evidence', (_, text) => {
    expect(audit([configMap('cfg', { 'config.yaml': text })]).findings).toEqual([]);
  });
});
