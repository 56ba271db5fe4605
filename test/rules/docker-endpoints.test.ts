import { describe, expect, test } from 'vitest';
import { audit, daemonSet, findingsOf, podSpec, rulesFound, verdictOf } from '../helpers/objects.ts';

describe("DS004 points a client at the node's Docker Engine (high)", () => {
  test('DOCKER_HOST through a hostPath /var/run mounted elsewhere resolves to the node socket', () => {
    const spec = podSpec({
      hostPaths: { runtimesocketdir: '/var/run' },
      containers: [
        {
          name: 'agent',
          env: { DOCKER_HOST: 'unix:///host/var/run/docker.sock' },
          mounts: [{ volume: 'runtimesocketdir', at: '/host/var/run', readOnly: true }],
        },
      ],
    });
    const report = audit([daemonSet('datadog', spec)]);
    const [finding] = findingsOf(report, 'DS004');
    expect(finding?.severity).toBe('high');
    expect(finding?.evidence).toMatchObject({
      hostPath: '/var/run/docker.sock',
      mountPath: '/host/var/run',
      env: 'DOCKER_HOST=unix:///host/var/run/docker.sock',
    });
    expect(verdictOf(report, 'DaemonSet/default/datadog')).toBe('high');
  });

  test('through the host root mounted at /host', () => {
    const spec = podSpec({
      hostPaths: { root: '/' },
      containers: [
        { env: { DOCKER_HOST: 'unix:///host/run/docker.sock' }, mounts: [{ volume: 'root', at: '/host' }] },
      ],
    });
    expect(findingsOf(audit([daemonSet('a', spec)]), 'DS004')[0]?.evidence.hostPath).toBe('/run/docker.sock');
  });

  test('a plain path in any variable (DOCKER_CLIENT_ADDRESS)', () => {
    const spec = podSpec({
      hostPaths: { run: '/var/run' },
      containers: [
        {
          env: { DOCKER_CLIENT_ADDRESS: '/var/run/docker.sock' },
          mounts: [{ volume: 'run', at: '/var/run' }],
        },
      ],
    });
    expect(findingsOf(audit([daemonSet('a', spec)]), 'DS004')).toHaveLength(1);
  });

  test('CONTAINER_RUNTIME_ENDPOINT naming dockershim', () => {
    const spec = podSpec({
      hostPaths: { run: '/var/run' },
      containers: [
        {
          env: { CONTAINER_RUNTIME_ENDPOINT: 'unix:///var/run/dockershim.sock' },
          mounts: [{ volume: 'run', at: '/var/run' }],
        },
      ],
    });
    expect(findingsOf(audit([daemonSet('a', spec)]), 'DS004')[0]?.evidence.hostPath).toBe(
      '/var/run/dockershim.sock',
    );
  });

  test('an argument naming the socket', () => {
    const spec = podSpec({
      hostPaths: { sock: '/var/run/docker.sock' },
      containers: [
        {
          args: ['--docker=unix:///var/run/docker.sock'],
          mounts: [{ volume: 'sock', at: '/var/run/docker.sock' }],
        },
      ],
    });
    expect(rulesFound(audit([daemonSet('a', spec)]))).toEqual(['DS001', 'DS004']);
  });

  test('$(VAR) references are expanded as the kubelet does', () => {
    const spec = podSpec({
      hostPaths: { run: '/var/run' },
      containers: [
        {
          env: { SOCK: '/hostrun/docker.sock', DOCKER_HOST: 'unix://$(SOCK)' },
          mounts: [{ volume: 'run', at: '/hostrun' }],
        },
      ],
    });
    expect(findingsOf(audit([daemonSet('a', spec)]), 'DS004').map((f) => f.evidence.env)).toContain(
      'DOCKER_HOST=unix:///hostrun/docker.sock',
    );
  });

  test("TCP to the node's address (status.hostIP) is the node's Docker Engine", () => {
    const spec = podSpec({
      containers: [
        { env: { HOST_IP: { fieldPath: 'status.hostIP' }, DOCKER_HOST: 'tcp://$(HOST_IP):2375' } },
      ],
    });
    expect(findingsOf(audit([daemonSet('a', spec)]), 'DS004')[0]?.evidence.endpoint).toBe(
      'tcp://$(HOST_IP):2375',
    );
  });

  test('with hostNetwork, localhost is the node', () => {
    const spec = podSpec({
      hostNetwork: true,
      containers: [{ env: { DOCKER_HOST: 'tcp://127.0.0.1:2375' } }],
    });
    expect(rulesFound(audit([daemonSet('a', spec)]))).toEqual(['DS004']);
  });

  test.each([
    ['a containerd endpoint', { CONTAINER_RUNTIME_ENDPOINT: 'unix:///run/containerd/containerd.sock' }],
    ['a CSI socket', { CSI_ENDPOINT: 'unix:///csi/csi.sock' }],
    ['an unrelated TCP URL', { METRICS_URL: 'tcp://collector:2375' }],
  ])('does not fire on %s', (_, env) => {
    const spec = podSpec({
      hostPaths: { run: '/run' },
      containers: [{ env, mounts: [{ volume: 'run', at: '/run' }] }],
    });
    expect(findingsOf(audit([daemonSet('a', spec)]), 'DS004')).toEqual([]);
  });
});

describe('DS004 reads endpoint values as the Docker clients do', () => {
  const socketAt = (env: Record<string, string | { fieldPath: string }>, hostNetwork = false) =>
    daemonSet(
      'agent',
      podSpec({
        hostPaths: { sock: '/var/run/docker.sock', pipe: '\\\\.\\pipe\\docker_engine' },
        hostNetwork,
        containers: [
          {
            name: 'agent',
            env,
            mounts: [
              { volume: 'sock', at: '/var/run/docker.sock' },
              { volume: 'pipe', at: '\\\\.\\pipe\\docker_engine' },
            ],
          },
        ],
      }),
    );
  const nodeIp = { HOST_IP: { fieldPath: 'status.hostIP' } };

  test.each([
    ['unix:///var/run/docker.sock', '/var/run/docker.sock'],
    ['unix://var/run/docker.sock', '/var/run/docker.sock'],
    ['unix:///var/run/docker.sock/', '/var/run/docker.sock'],
    ['unix://', '/var/run/docker.sock'],
    ['/var/run/docker.sock', '/var/run/docker.sock'],
    // The client would not accept the trailing text; what the value was meant to reach still counts.
    ['unix:///var/run/docker.sock   # the node socket', '/var/run/docker.sock'],
    ['npipe:////./pipe/docker_engine', '\\\\.\\pipe\\docker_engine'],
    ['npipe://', '\\\\.\\pipe\\docker_engine'],
  ])('DOCKER_HOST=%s is the mounted socket %s', (value, hostPath) => {
    const findings = findingsOf(audit([socketAt({ DOCKER_HOST: value })]), 'DS004');
    expect(findings.map((finding) => finding.evidence.hostPath)).toEqual([hostPath]);
  });

  test.each([
    'tcp://$(HOST_IP):2375',
    'tcp://$(HOST_IP):2376/',
    'tcp://$(HOST_IP)',
    'tcp://$(HOST_IP):2375?timeout=5s',
    '$(HOST_IP):2375',
    'ssh://core@$(HOST_IP)',
  ])("DOCKER_HOST=%s is the node's Docker Engine", (value) => {
    const findings = findingsOf(audit([socketAt({ ...nodeIp, DOCKER_HOST: value })]), 'DS004');
    expect(findings).toHaveLength(1);
    expect(findings[0]?.severity).toBe('high');
  });

  test.each(['tcp://:2375', 'tcp://', 'tcp://localhost:2376/', 'tcp://[::1]:2375'])(
    "with hostNetwork, DOCKER_HOST=%s is the node's Docker Engine; without it, a daemon in the pod",
    (value) => {
      expect(rulesFound(audit([socketAt({ DOCKER_HOST: value }, true)]))).toContain('DS004');
      expect(findingsOf(audit([socketAt({ DOCKER_HOST: value })]), 'DS004')).toEqual([]);
    },
  );

  test("a Docker port on the node is Docker Engine whatever the variable's name", () => {
    const report = audit([socketAt({ ...nodeIp, ENGINE_URL: 'tcp://$(HOST_IP):2376' })]);
    expect(findingsOf(report, 'DS004').map((finding) => finding.evidence.env)).toEqual([
      'ENGINE_URL=tcp://$(HOST_IP):2376',
    ]);
  });

  test('credentials in an endpoint are masked in the evidence', () => {
    const [finding] = findingsOf(
      audit([socketAt({ ...nodeIp, DOCKER_HOST: 'tcp://admin:s3cret@$(HOST_IP):2375' })]),
      'DS004',
    );
    expect(JSON.stringify(finding?.evidence)).not.toContain('s3cret');
  });

  test.each([
    ['a unix URL with a query, which no client strips', { DOCKER_HOST: 'unix:///var/run/docker.sock?x=1' }],
    ["another runtime's socket", { DOCKER_HOST: 'unix:///run/containerd/containerd.sock' }],
    ['a remote host on a Docker port without a Docker name', { ENGINE_URL: 'tcp://build-box:2375' }],
    ['the daemon-only fd:// scheme', { DOCKER_HOST: 'fd://' }],
  ])('not for %s', (_, env) => {
    expect(findingsOf(audit([socketAt(env)]), 'DS004')).toEqual([]);
  });
});

describe("DS008 uses a Docker daemon of its own, not the node's (low)", () => {
  test('docker-in-docker sidecar on localhost', () => {
    const spec = podSpec({
      containers: [
        { name: 'build', image: 'docker:27-cli', env: { DOCKER_HOST: 'tcp://localhost:2376' } },
        { name: 'dind', image: 'docker:27-dind' },
      ],
    });
    const report = audit([daemonSet('ci', spec)]);
    expect(rulesFound(report)).toEqual(['DS008']);
    expect(verdictOf(report, 'DaemonSet/default/ci')).toBe('low');
    expect(
      findingsOf(report, 'DS008')
        .map((f) => f.container)
        .sort(),
    ).toEqual(['build', 'dind']);
  });

  test('a socket shared with the sidecar through an emptyDir is not the node socket', () => {
    const spec = podSpec({
      emptyDirs: ['dind-sock'],
      containers: [
        {
          name: 'build',
          env: { DOCKER_HOST: 'unix:///var/run/docker.sock' },
          mounts: [{ volume: 'dind-sock', at: '/var/run' }],
        },
        { name: 'dind', image: 'docker:dind', mounts: [{ volume: 'dind-sock', at: '/var/run' }] },
      ],
    });
    expect(rulesFound(audit([daemonSet('ci', spec)]))).toEqual(['DS008']);
  });

  test('a remote daemon over TCP', () => {
    const spec = podSpec({ containers: [{ env: { DOCKER_HOST: 'tcp://docker.ci.svc:2375' } }] });
    expect(findingsOf(audit([daemonSet('ci', spec)]), 'DS008')[0]?.severity).toBe('low');
  });

  test.each([
    ["Hyperledger Fabric's CORE_VM_ENDPOINT", { CORE_VM_ENDPOINT: 'tcp://docker:2375' }],
    ['a TLS port and a service name', { ENGINE: 'tcp://dind.ci.svc.cluster.local:2376' }],
  ])('a host named for Docker on a Docker port, whatever the variable is called: %s', (_, env) => {
    const report = audit([daemonSet('peer', podSpec({ containers: [{ env }] }))]);
    expect(rulesFound(report)).toEqual(['DS008']);
    expect(findingsOf(report, 'DS008')[0]?.message).toContain('a Docker daemon on the network');
  });

  test.each([
    ['a registry named for Docker on its own port', { REGISTRY: 'tcp://docker-registry:5000' }],
    ['a Docker port on a host not named for Docker', { ENGINE: 'tcp://build-box:2375' }],
    ['a name that only starts like Docker', { MIRROR: 'tcp://dockerhub-mirror:2375' }],
  ])('not for %s', (_, env) => {
    expect(findingsOf(audit([daemonSet('a', podSpec({ containers: [{ env }] }))]), 'DS008')).toEqual([]);
  });

  test('a socket named in the environment that nothing mounts', () => {
    const spec = podSpec({ containers: [{ env: { DOCKER_HOST: 'unix:///var/run/docker.sock' } }] });
    const [finding] = findingsOf(audit([daemonSet('a', spec)]), 'DS008');
    expect(finding?.message).toContain('no volume provides it');
  });
});
