import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.ts';
import { ApiServerSimulator } from '../simulator/api-server.ts';
import { clusterFromObjects } from '../simulator/cluster-data.ts';
import { writeKubeconfig } from '../simulator/kubeconfig.ts';

const run = promisify(execFile);
/** Debian's kubectl (package kubernetes-client, installed by .ci/run); KUBECTL names another. */
const KUBECTL = process.env.KUBECTL ?? 'kubectl';

let simulator: ApiServerSimulator;
let kubeconfig: string;
let demoPods = 0;

beforeAll(async () => {
  const demo = JSON.parse(readFileSync(`${REPO_ROOT}demo/cluster.json`, 'utf8')) as {
    items: Record<string, unknown>[];
  };
  demoPods = demo.items.filter((item) => item.kind === 'Pod').length;
  simulator = await ApiServerSimulator.start({
    data: clusterFromObjects(demo.items),
    tokens: { 'kubectl-token': 'admin' },
    kubernetesVersion: '1.20.15',
  });
  kubeconfig = await writeKubeconfig([
    { name: 'sim', server: simulator.url, caPem: simulator.caPem, user: { token: 'kubectl-token' } },
  ]);
});

afterAll(() => simulator.close());

const kubectl = async (...args: string[]) =>
  (
    await run(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', `${kubeconfig}.cache`, ...args], {
      timeout: 20_000,
    })
  ).stdout;

describe('the official kubectl talks to the API-server simulator (it keeps the simulator honest)', () => {
  test('kubectl get pods -A lists every pod with its namespace', async () => {
    const lines = (await kubectl('get', 'pods', '-A')).trim().split('\n');
    expect(lines[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(lines).toHaveLength(1 + demoPods);
    expect(lines.some((line) => /^datadog\s+datadog-\w{5}\s+0\/1\s+Running\s+0\s+/.test(line))).toBe(true);
  });

  test('kubectl get nodes -o wide shows each node runtime', async () => {
    const output = await kubectl('get', 'nodes', '-o', 'wide');
    expect(output).toMatch(
      /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+OS-IMAGE\s+CONTAINER-RUNTIME/,
    );
    expect(output).toMatch(/ip-10-0-1-11\.ec2\.internal\s+.*v1\.23\.17\s+.*docker:\/\/20\.10\.24/);
    expect(output).toMatch(/ip-10-0-3-33\.ec2\.internal\s+.*containerd:\/\/1\.7\.13/);
  });

  test('kubectl pages through a list with --chunk-size', async () => {
    const before = simulator.listRequests('/api/v1/pods').length;
    const names = (await kubectl('get', 'pods', '-A', '--chunk-size=10', '-o', 'name')).trim().split('\n');
    expect(names).toHaveLength(demoPods);
    expect(simulator.listRequests('/api/v1/pods').length - before).toBe(Math.ceil(demoPods / 10));
  });

  test('kubectl is refused without credentials', async () => {
    const anonymous = await writeKubeconfig([
      { name: 'sim', server: simulator.url, caPem: simulator.caPem, user: { token: 'wrong' } },
    ]);
    await expect(
      run(KUBECTL, ['--kubeconfig', anonymous, 'get', 'nodes'], { timeout: 20_000 }),
    ).rejects.toThrow(/Unauthorized|must be logged in/);
  });
});
