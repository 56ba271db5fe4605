import { describe, expect, test } from 'vitest';
import { RUNTIME_SELECTORS } from '../../lambda/rules/lib/runtime-selection.ts';
import {
  audit,
  configMap,
  daemonSet,
  findingsOf,
  node,
  podSpec,
  rulesFound,
  verdictOf,
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
