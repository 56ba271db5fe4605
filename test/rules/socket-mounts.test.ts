import { describe, expect, test } from 'vitest';
import {
  audit,
  daemonSet,
  findingsOf,
  node,
  podSpec,
  rulesFound,
  verdictOf,
  workload,
} from '../helpers/objects.ts';

const mounting = (hostPath: string, at = '/host/mount', extra: { subPath?: string } = {}) =>
  daemonSet(
    'agent',
    podSpec({
      hostPaths: { v: hostPath },
      containers: [{ name: 'agent', mounts: [{ volume: 'v', at, ...extra }] }],
    }),
  );

describe('DS001 mounts the Docker socket (high)', () => {
  test.each([
    '/var/run/docker.sock',
    '/run/docker.sock',
    '//var/run//docker.sock/',
    '/var/run/./docker.sock',
    '/run/user/1000/docker.sock',
    '/var/run/dockershim.sock',
    '/var/run/cri-dockerd.sock',
    '/run/cri-dockerd.sock',
    '\\\\.\\pipe\\docker_engine',
  ])('fires on hostPath %s', (hostPath) => {
    const report = audit([mounting(hostPath)]);
    expect(rulesFound(report)).toEqual(['DS001']);
    expect(verdictOf(report, 'DaemonSet/default/agent')).toBe('high');
  });

  test('evidence is the normalised host path, never the mountPath or the volume name', () => {
    const object = daemonSet(
      'agent',
      podSpec({
        hostPaths: { 'docker-sock': '//var/run//docker.sock' },
        containers: [{ name: 'agent', mounts: [{ volume: 'docker-sock', at: '/tmp/engine' }] }],
      }),
    );
    const [finding] = findingsOf(audit([object]), 'DS001');
    expect(finding?.evidence).toMatchObject({ hostPath: '/var/run/docker.sock', mountPath: '/tmp/engine' });
    expect(finding?.container).toBe('agent');
  });

  test('a subPath into /var/run that names docker.sock is the socket itself, not its directory', () => {
    const report = audit([mounting('/var/run', '/var/run/docker.sock', { subPath: 'docker.sock' })]);
    expect(rulesFound(report)).toEqual(['DS001']);
    expect(findingsOf(report, 'DS001')[0]?.evidence).toMatchObject({
      hostPath: '/var/run/docker.sock',
      volumeHostPath: '/var/run',
      subPath: 'docker.sock',
    });
  });

  test('init and ephemeral containers count', () => {
    const spec = podSpec({
      hostPaths: { sock: '/var/run/docker.sock' },
      initContainers: [{ name: 'setup', mounts: [{ volume: 'sock', at: '/var/run/docker.sock' }] }],
      ephemeralContainers: [{ name: 'debugger', mounts: [{ volume: 'sock', at: '/var/run/docker.sock' }] }],
    });
    const containers = findingsOf(audit([daemonSet('agent', spec)]), 'DS001').map(
      (finding) => finding.container,
    );
    expect(containers.sort()).toEqual(['debugger', 'setup']);
  });

  test.each([
    ['CronJob', 'batch/v1'],
    ['Rollout', 'argoproj.io/v1alpha1'],
    ['StatefulSet', 'apps/v1'],
    ['ReplicationController', 'v1'],
  ])('reads the pod template of a %s', (kind, apiVersion) => {
    const spec = podSpec({
      hostPaths: { sock: '/var/run/docker.sock' },
      containers: [{ mounts: [{ volume: 'sock', at: '/s' }] }],
    });
    const object =
      kind === 'CronJob'
        ? {
            apiVersion,
            kind,
            metadata: { name: 'job', namespace: 'ci' },
            spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec } } } },
          }
        : workload(kind, 'job', spec, 'ci', apiVersion);
    expect(verdictOf(audit([object]), `${kind}/ci/job`)).toBe('high');
  });

  test.each([
    [
      'a volume named docker.sock that is an emptyDir',
      podSpec({
        emptyDirs: ['docker.sock'],
        containers: [{ mounts: [{ volume: 'docker.sock', at: '/var/run/docker.sock' }] }],
      }),
    ],
    [
      'a docker.sock hostPath that no container mounts',
      podSpec({ hostPaths: { sock: '/var/run/docker.sock' }, containers: [{}] }),
    ],
    [
      'a path that only starts like the socket',
      podSpec({
        hostPaths: { v: '/var/run/docker.socket-proxy' },
        containers: [{ mounts: [{ volume: 'v', at: '/p' }] }],
      }),
    ],
  ])('does not fire on %s', (_, spec) => {
    expect(findingsOf(audit([daemonSet('agent', spec)]), 'DS001')).toEqual([]);
  });
});

describe('DS002 mounts a directory that holds the Docker socket (medium)', () => {
  test.each(['/', '/var', '/run', '/var/run', '/var/run/', '/var/lib/../run', '/run/user/1000'])(
    'fires on %s',
    (hostPath) => {
      const report = audit([mounting(hostPath)]);
      expect(rulesFound(report)).toContain('DS002');
      expect(verdictOf(report, 'DaemonSet/default/agent')).toBe('medium');
    },
  );

  test.each([
    '/var/run/scope/plugins',
    '/run/flannel',
    '/var/run/containerd',
    '/run/xtables.lock',
    '/var/log',
    '/sys',
    '/var/run/datadog',
  ])('does not fire on %s, which only shares a prefix', (hostPath) => {
    expect(audit([mounting(hostPath)]).findings).toEqual([]);
  });

  test('a subPath into /var/run naming another file exposes only that file', () => {
    expect(
      audit([mounting('/var/run', '/var/run/crio.sock', { subPath: 'crio/crio.sock' })]).findings,
    ).toEqual([]);
  });

  test('a read-only mount still counts: a socket can be used through a read-only mount', () => {
    const object = daemonSet(
      'agent',
      podSpec({
        hostPaths: { root: '/' },
        containers: [{ mounts: [{ volume: 'root', at: '/host', readOnly: true }] }],
      }),
    );
    const [finding] = findingsOf(audit([object]), 'DS002');
    expect(finding?.severity).toBe('medium');
    expect(finding?.evidence.readOnly).toBe(true);
  });
});

describe("DS003 mounts Docker Engine's state, data or configuration (medium)", () => {
  test.each([
    '/var/lib/docker',
    '/var/lib/docker/overlay2',
    '/var/lib',
    '/var/run/docker/netns',
    '/run/docker',
    '/etc/docker',
  ])('fires on %s', (hostPath) => {
    const report = audit([mounting(hostPath)]);
    expect(rulesFound(report)).toEqual(['DS003']);
    expect(verdictOf(report, 'DaemonSet/default/agent')).toBe('medium');
  });

  test.each([
    '/var/lib/kubelet',
    '/var/lib/containerd',
    '/var/lib/containers',
    '/var/lib/docker-volumes',
    '/etc/containerd',
  ])('does not fire on %s', (hostPath) => {
    expect(audit([mounting(hostPath)]).findings).toEqual([]);
  });
});

describe('DS005 Docker socket beside other runtime sockets (low)', () => {
  const multiRuntime = (others: Record<string, string>) =>
    daemonSet(
      'falco',
      podSpec({
        hostPaths: { docker: '/var/run/docker.sock', ...others },
        containers: [
          {
            name: 'falco',
            mounts: [
              { volume: 'docker', at: '/host/var/run/docker.sock' },
              ...Object.keys(others).map((volume) => ({ volume, at: `/host/${volume}` })),
            ],
          },
        ],
      }),
    );

  test.each([
    [{ containerd: '/run/containerd/containerd.sock' }],
    [{ crio: '/run/crio/crio.sock' }],
    [{ podman: '/run/podman/podman.sock' }],
    [{ k3s: '/run/k3s/containerd/containerd.sock' }],
  ])('downgrades the socket mount when %j is mounted too', (others) => {
    const report = audit([multiRuntime(others)]);
    expect(rulesFound(report)).toEqual(['DS005']);
    expect(verdictOf(report, 'DaemonSet/default/falco')).toBe('low');
  });

  test("Docker's own bundled containerd is not another runtime", () => {
    const report = audit([multiRuntime({ dockerd: '/var/run/docker/containerd/containerd.sock' })]);
    expect(rulesFound(report)).toEqual(['DS001', 'DS003']);
  });
});

describe('Argo Workflows templates define pods too', () => {
  test.each(['WorkflowTemplate', 'Workflow', 'ClusterWorkflowTemplate'])(
    'a %s whose build step mounts the socket',
    (kind) => {
      const object = {
        apiVersion: 'argoproj.io/v1alpha1',
        kind,
        metadata: { name: 'image-build', namespace: 'ci' },
        spec: {
          entrypoint: 'main',
          volumes: [{ name: 'docker', hostPath: { path: '/var/run/docker.sock' } }],
          templates: [
            { name: 'main', steps: [[{ name: 'build', template: 'build' }]] },
            {
              name: 'build',
              container: {
                image: 'docker:27-cli',
                args: ['build', '.'],
                volumeMounts: [{ name: 'docker', mountPath: '/var/run/docker.sock' }],
              },
            },
          ],
        },
      };
      const [finding] = findingsOf(audit([object]), 'DS001');
      expect(finding?.container).toBe('build');
      expect(finding?.resource.kind).toBe(kind);
    },
  );

  test('a CronWorkflow between runs, through a script template', () => {
    const object = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'CronWorkflow',
      metadata: { name: 'nightly-prune', namespace: 'ops' },
      spec: {
        schedule: '0 3 * * *',
        workflowSpec: {
          entrypoint: 'prune',
          templates: [
            {
              name: 'prune',
              script: {
                image: 'docker:27-cli',
                command: ['sh'],
                source: 'DOCKER_HOST=tcp://docker.ops.svc:2375 docker system prune -af',
              },
            },
          ],
        },
      },
    };
    expect(rulesFound(audit([object]))).toEqual(['DS008']);
  });
});

describe('a Docker socket volume of type Socket: the pod cannot even start without Docker', () => {
  const socketOf = (type: string | undefined, extra: string[] = []) =>
    daemonSet(
      'agent',
      podSpec({
        hostPaths: {
          docker: type === undefined ? '/var/run/docker.sock' : { path: '/var/run/docker.sock', type },
          ...Object.fromEntries(extra.map((path, index) => [`other${index}`, path])),
        },
        containers: [
          {
            name: 'agent',
            mounts: [
              { volume: 'docker', at: '/var/run/docker.sock' },
              ...extra.map((_, index) => ({ volume: `other${index}`, at: `/host/other${index}` })),
            ],
          },
        ],
      }),
    );

  test('the evidence carries the type and the message says the pod cannot start', () => {
    const [finding] = findingsOf(audit([socketOf('Socket')]), 'DS001');
    expect(finding?.evidence).toMatchObject({ hostPath: '/var/run/docker.sock', hostPathType: 'Socket' });
    expect(finding?.message).toMatch(
      /type is Socket, so on a node without Docker Engine the pod cannot start/,
    );
  });

  test.each([
    [undefined, /an empty directory is created there instead/],
    ['', /an empty directory is created there instead/],
    ['DirectoryOrCreate', /an empty directory is created there instead/],
    ['FileOrCreate', /an empty file is created there instead/],
  ])('type %j: the pod starts with an empty path instead, and the message says so', (type, message) => {
    const [finding] = findingsOf(audit([socketOf(type)]), 'DS001');
    expect(finding?.message).toMatch(message);
    expect(finding?.message).not.toMatch(/cannot start/);
  });

  test('beside other runtime sockets, type Socket is still a Docker dependency (high), not a multi-runtime agent', () => {
    const report = audit([socketOf('Socket', ['/run/containerd/containerd.sock'])]);
    expect(rulesFound(report)).toEqual(['DS001']);
    expect(verdictOf(report, 'DaemonSet/default/agent')).toBe('high');
    // Without the type, the same agent keeps working without Docker (DS005, low).
    expect(rulesFound(audit([socketOf(undefined, ['/run/containerd/containerd.sock'])]))).toEqual(['DS005']);
  });

  test('on a node without Docker Engine the broken-now finding says the pods cannot start', () => {
    const running = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'agent-x1', namespace: 'default' },
      spec: { ...(socketOf('Socket').spec as { template: { spec: object } }).template.spec, nodeName: 'n1' },
    };
    const report = audit([running, node('n1', 'containerd://1.7.2', 'v1.29.0')]);
    const [broken] = findingsOf(report, 'DS050');
    expect(broken?.severity).toBe('critical');
    expect(broken?.message).toMatch(
      /cannot start \(hostPath type Socket\) on 1 node\(s\) without Docker Engine: n1/,
    );
    expect(broken?.evidence.hostPathType).toBe('Socket');
  });
});

describe("Windows named pipes other than Docker Engine's are not Docker", () => {
  test.each([
    '\\\\.\\pipe\\containerd-containerd',
    '\\\\.\\pipe\\datadog-agent',
    '\\\\.\\pipe\\docker_engine_proxy',
    '//./pipe/my-agent',
  ])('%s', (pipe) => {
    const spec = podSpec({
      hostPaths: { pipe },
      containers: [
        {
          env: { DOCKER_HOST: `npipe://${pipe.replace(/\\/g, '/')}` },
          mounts: [{ volume: 'pipe', at: pipe }],
        },
      ],
    });
    expect(rulesFound(audit([daemonSet('agent', spec)]))).toEqual([]);
  });
});
