import { describe, expect, test } from 'vitest';
import { RUNTIME_SELECTORS } from '../../lambda/rules/lib/runtime-selection.ts';
import {
  audit,
  configMap,
  daemonSet,
  findingsOf,
  node,
  pod,
  podSpec,
  rulesFound,
  verdictOf,
  workload,
} from '../helpers/objects.ts';

type Env = Record<string, string>;

/** An agent that mounts the Docker socket beside containerd's, as multi-runtime agents do. */
const agent = (setting: { env?: Env; args?: string[]; command?: string[] }, sockets = 'both') =>
  daemonSet(
    'chaos',
    podSpec({
      hostPaths:
        sockets === 'both'
          ? { docker: '/var/run/docker.sock', containerd: '/run/containerd/containerd.sock' }
          : sockets === 'parent'
            ? { run: '/var/run' }
            : {},
      containers: [
        {
          name: 'daemon',
          image: 'example/chaos-daemon:2.6',
          ...setting,
          mounts:
            sockets === 'both'
              ? [
                  { volume: 'docker', at: '/var/run/docker.sock' },
                  { volume: 'containerd', at: '/run/containerd/containerd.sock' },
                ]
              : sockets === 'parent'
                ? [{ volume: 'run', at: '/host/var/run' }]
                : [],
        },
      ],
    }),
  );

describe('DS010 selects Docker Engine by name (high)', () => {
  test('CONTAINER_RUNTIME=docker beside several sockets is a Docker dependency, not a multi-runtime agent', () => {
    const report = audit([agent({ env: { CONTAINER_RUNTIME: 'docker' } })]);
    expect(rulesFound(report)).toEqual(['DS010']);
    expect(verdictOf(report, 'DaemonSet/default/chaos')).toBe('high');
    const [finding] = findingsOf(report, 'DS010');
    expect(finding?.evidence).toMatchObject({
      env: 'CONTAINER_RUNTIME=docker',
      hostPath: '/var/run/docker.sock',
      mountPath: '/var/run/docker.sock',
    });
    expect(finding?.message).toContain('environment variable CONTAINER_RUNTIME=docker');
  });

  test.each([
    [['--runtime', 'docker'], '--runtime docker'],
    [['--runtime=docker'], '--runtime=docker'],
    [['-runtime=Docker'], '-runtime=Docker'],
    [['--container-runtime="docker"'], '--container-runtime="docker"'],
    [['sh', '-c', 'exec chaos-daemon --runtime docker --http-port 31766'], '--runtime docker'],
    [['--probe.docker=true'], '--probe.docker=true'],
    [['--probe.docker', 'weave-scope-app:80'], '--probe.docker'],
  ])('the argument %j is quoted in the evidence', (args, quoted) => {
    const [finding] = findingsOf(audit([agent({ args })]), 'DS010');
    expect(finding?.evidence.arg).toBe(quoted);
  });

  test('through a parent directory of the socket, the evidence names that mount', () => {
    const [finding] = findingsOf(
      audit([agent({ command: ['/usr/local/bin/chaos-daemon', '--runtime', 'docker'] }, 'parent')]),
      'DS010',
    );
    expect(finding?.evidence).toMatchObject({
      arg: '--runtime docker',
      hostPath: '/var/run',
      mountPath: '/host/var/run',
    });
  });

  test.each([
    ['another runtime', { env: { CONTAINER_RUNTIME: 'containerd' } }],
    ['automatic detection', { args: ['--container-runtime=auto'] }],
    ['a false boolean', { args: ['--probe.docker=false'] }],
    ['a flag that only looks alike', { args: ['--runtime-socket-path', '/var/run/docker.sock'] }],
    ['an unknown variable', { env: { RUNTIME_NAME: 'docker' } }],
  ])('not for %s', (_, setting) => {
    expect(findingsOf(audit([agent(setting)]), 'DS010')).toEqual([]);
  });

  test('CONTAINER_RUNTIME_NAME=docker (illuminatio) is a setting that selects Docker', () => {
    const [finding] = findingsOf(audit([agent({ env: { CONTAINER_RUNTIME_NAME: 'docker' } })]), 'DS010');
    expect(finding?.evidence.env).toBe('CONTAINER_RUNTIME_NAME=docker');
    expect(findingsOf(audit([agent({ env: { CONTAINER_RUNTIME_NAME: 'containerd' } })]), 'DS010')).toEqual(
      [],
    );
  });

  test('not when the container cannot reach the Docker socket: the setting fails on every node', () => {
    expect(findingsOf(audit([agent({ env: { CONTAINER_RUNTIME: 'docker' } }, 'none')]), 'DS010')).toEqual([]);
  });

  test('critical on a node without Docker Engine', () => {
    const spec = (agent({ env: { CONTAINER_RUNTIME: 'docker' } }).spec as { template: { spec: object } })
      .template.spec;
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'chaos-abc12', namespace: 'default' },
      spec: { ...spec, nodeName: 'n1' },
    };
    const report = audit([pod, node('n1', 'containerd://1.7.2', 'v1.29.0')]);
    expect(verdictOf(report, 'Pod/default/chaos-abc12')).toBe('critical');
    expect(findingsOf(report, 'DS050')[0]?.evidence.hostPath).toBe('/var/run/docker.sock');
  });
});

describe('DS011 passes Docker Engine, chosen by name, to the pods it starts (high)', () => {
  /** A LitmusChaos experiment: it mounts nothing; the helper pods it starts mount SOCKET_PATH. */
  const experiment = (env: Env, nodeName?: string) =>
    podSpec({
      containers: [{ name: 'experiment', image: 'litmuschaos/go-runner:2.0.0', env }],
      ...(nodeName && { nodeName }),
    });
  const dockerEnv = { CONTAINER_RUNTIME: 'docker', SOCKET_PATH: '/var/run/docker.sock' };

  test('CONTAINER_RUNTIME=docker beside SOCKET_PATH=/var/run/docker.sock, with no mount of its own', () => {
    const report = audit([workload('Deployment', 'litmus-experiment', experiment(dockerEnv))]);
    expect(rulesFound(report)).toEqual(['DS011']);
    expect(verdictOf(report, 'Deployment/default/litmus-experiment')).toBe('high');
    const [finding] = findingsOf(report, 'DS011');
    expect(finding?.evidence).toEqual({
      env: 'CONTAINER_RUNTIME=docker',
      endpoint: '/var/run/docker.sock',
      image: 'litmuschaos/go-runner:2.0.0',
    });
    expect(finding?.message).toContain('SOCKET_PATH=/var/run/docker.sock');
    // The socket is handed on, not unreachable: DS008 does not call it a socket nothing mounts.
    expect(findingsOf(report, 'DS008')).toEqual([]);
  });

  test('a unix URL and a flag are read the same way', () => {
    const spec = podSpec({
      containers: [{ args: ['--container-runtime=docker', '--socket', 'unix:///run/docker.sock'] }],
    });
    expect(findingsOf(audit([daemonSet('tool', spec)]), 'DS011')[0]?.evidence).toMatchObject({
      arg: '--container-runtime=docker',
      endpoint: '/run/docker.sock',
    });
  });

  test.each([
    [
      'containerd chosen, the Docker socket named',
      { CONTAINER_RUNTIME: 'containerd', SOCKET_PATH: '/var/run/docker.sock' },
    ],
    [
      "Docker chosen, containerd's socket named",
      { CONTAINER_RUNTIME: 'docker', SOCKET_PATH: '/run/containerd/containerd.sock' },
    ],
    ['Docker chosen, no socket named', { CONTAINER_RUNTIME: 'docker' }],
  ])('not for %s', (_, env) => {
    expect(findingsOf(audit([workload('Deployment', 'e', experiment(env))]), 'DS011')).toEqual([]);
  });

  test('a socket named without a runtime setting is still one that nothing mounts (DS008)', () => {
    const report = audit([
      workload(
        'Deployment',
        'e',
        experiment({ CONTAINER_RUNTIME: 'containerd', SOCKET_PATH: '/var/run/docker.sock' }),
      ),
    ]);
    expect(rulesFound(report)).toEqual(['DS008']);
  });

  test('a container that reaches the socket itself is DS010, not DS011', () => {
    const report = audit([agent({ env: dockerEnv })]);
    expect(rulesFound(report)).toContain('DS010');
    expect(findingsOf(report, 'DS011')).toEqual([]);
  });

  test('never critical through the node of this pod: the pods that mount the socket may run elsewhere', () => {
    const report = audit([
      node('n1', 'containerd://1.7.2', 'v1.29.0'),
      pod('litmus-experiment-abc12', experiment(dockerEnv, 'n1')),
    ]);
    expect(findingsOf(report, 'DS050')).toEqual([]);
    expect(verdictOf(report, 'Pod/default/litmus-experiment-abc12')).toBe('high');
  });
});

describe('DS024 configuration selects Docker Engine by name (high)', () => {
  test.each([
    ['container-runtime', 'docker'],
    ['CONTAINER_RUNTIME', 'docker'],
    ['CONTAINER_RUNTIME', ' Docker\n'],
  ])('%s: %j', (key, value) => {
    const report = audit([configMap('cilium-config', { [key]: value })]);
    const [finding] = findingsOf(report, 'DS024');
    expect(finding?.severity).toBe('high');
    expect(finding?.evidence).toEqual({ configKey: key, value: value.trim() });
  });

  test.each([
    ['container-runtime', 'auto'],
    ['container-runtime', 'none'],
    ['runtime', 'docker'],
    ['agent.yaml', 'container-runtime: docker'],
  ])('not for %s: %j', (key, value) => {
    expect(findingsOf(audit([configMap('c', { [key]: value })]), 'DS024')).toEqual([]);
  });
});

describe('the runtime selectors are data with their sources', () => {
  test.each(RUNTIME_SELECTORS.map((selector) => [selector.setting, selector] as const))(
    '%s',
    (_, selector) => {
      expect(['flag', 'key']).toContain(selector.kind);
      if (selector.kind === 'flag') expect(selector.setting).toMatch(/^--?[\w.-]+$/);
      for (const value of selector.values) expect(value).toBe(value.toLowerCase());
      expect(selector.products.length).toBeGreaterThan(0);
      expect(selector.references.length).toBeGreaterThan(0);
      for (const reference of selector.references) expect(reference).toMatch(/^https:\/\//);
    },
  );
});
