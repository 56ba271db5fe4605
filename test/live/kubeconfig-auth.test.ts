import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ClusterAudit } from '../../lambda/audit/cluster-audit.ts';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import type { ClusterSource } from '../../lambda/collect/cluster-source.ts';
import { kubeconfigFromFile } from '../../lambda/collect/kube/kubeconfig-endpoint.ts';
import { kubeconfigContextSources, storedKubeconfigSource } from '../../lambda/collect/sources.ts';
import { HANGING_PLUGIN, isRunning, writePlugin } from '../helpers/exec-plugin.ts';
import { type FakeAws, startFakeAws } from '../helpers/fake-aws.ts';
import { demoCount, demoObjects, FAST_RETRY } from '../helpers/live.ts';
import { ApiServerSimulator } from '../simulator/api-server.ts';
import { clusterFromObjects } from '../simulator/cluster-data.ts';
import { writeKubeconfig } from '../simulator/kubeconfig.ts';

let a: ApiServerSimulator;
let b: ApiServerSimulator;
let aws: FakeAws;
const previousEnv = { ...process.env };

beforeAll(async () => {
  a = await ApiServerSimulator.start({
    data: clusterFromObjects(demoObjects()),
    tokens: { 'token-a': 'auditor-a' },
  });
  b = await ApiServerSimulator.start({
    data: clusterFromObjects(demoObjects().slice(0, 6)),
    tokens: { 'token-b': 'auditor-b' },
  });
  aws = await startFakeAws();
  process.env.AWS_ENDPOINT_URL = aws.url;
  process.env.AWS_ACCESS_KEY_ID = 'AKIAFAKE';
  process.env.AWS_SECRET_ACCESS_KEY = 'fake';
  process.env.AWS_REGION = 'eu-west-1';
});
afterAll(async () => {
  process.env = previousEnv;
  await Promise.all([a.close(), b.close(), aws.close()]);
});

async function collect(source: ClusterSource) {
  const audit = new ClusterAudit(source.name, defaultPolicy());
  const outcome = await source.collect(audit);
  return audit.finish(source.describe(), outcome);
}

const options = { configMapNames: [], retry: FAST_RETRY };

describe('kubeconfig credentials', () => {
  test('client certificates signed by the cluster CA', async () => {
    const { certPem, keyPem } = await a.pki.issueClientCertificate(
      'dockershim-audit',
      'dockershim-audit:readers',
    );
    const path = await writeKubeconfig([
      {
        name: 'cert',
        server: a.url,
        caPem: a.caPem,
        user: { clientCertificatePem: certPem, clientKeyPem: keyPem },
      },
    ]);
    const [source] = kubeconfigContextSources(kubeconfigFromFile(path), ['cert'], options);
    const report = await collect(source as ClusterSource);
    expect(report.status).toBe('complete');
    expect(a.requests.at(-1)?.user).toBe('dockershim-audit');
  });

  test('an exec credential plugin runs on a laptop (the CLI)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsa-exec-'));
    const plugin = join(dir, 'get-token');
    const credential = {
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      kind: 'ExecCredential',
      status: { token: 'token-a' },
    };
    await writeFile(plugin, `#!/bin/sh\necho '${JSON.stringify(credential)}'\n`);
    await chmod(plugin, 0o755);
    const path = await writeKubeconfig([
      { name: 'exec', server: a.url, caPem: a.caPem, user: { exec: { command: plugin } } },
    ]);
    const [source] = kubeconfigContextSources(kubeconfigFromFile(path), ['exec'], options);
    expect((await collect(source as ClusterSource)).status).toBe('complete');
  });

  test('a plugin runs once per cluster while its credential is valid, and may hand over a client certificate', async () => {
    const { certPem, keyPem } = await a.pki.issueClientCertificate(
      'exec-cert-user',
      'dockershim-audit:readers',
    );
    const credential = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: {
        clientCertificateData: certPem,
        clientKeyData: keyPem,
        expirationTimestamp: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    const plugin = await writePlugin(`echo $$ >> "$PIDS"\ncat <<'EOF'\n${credential}\nEOF`);
    const path = await writeKubeconfig([
      { name: 'exec', server: a.url, caPem: a.caPem, user: { exec: { command: plugin.command } } },
    ]);
    const [source] = kubeconfigContextSources(kubeconfigFromFile(path), ['exec'], options);
    const report = await collect(source as ClusterSource);
    expect(report.status).toBe('complete');
    expect(a.requests.at(-1)?.user).toBe('exec-cert-user');
    expect(await plugin.pids()).toHaveLength(1);
  });

  test('a plugin that hangs is killed at the deadline, with what it started; the cluster fails naming it', async () => {
    const plugin = await writePlugin(HANGING_PLUGIN);
    const path = await writeKubeconfig([
      { name: 'exec', server: a.url, caPem: a.caPem, user: { exec: { command: plugin.command } } },
    ]);
    const [source] = kubeconfigContextSources(kubeconfigFromFile(path), ['exec'], {
      ...options,
      deadlineMs: 1_500,
    });
    const report = await collect(source as ClusterSource);
    expect(report.status).toBe('failed');
    expect(report.errors.at(-1)?.message).toContain(
      `the credential plugin "${plugin.command}" did not finish before the cluster's deadline and was stopped`,
    );
    const pids = await plugin.pids();
    expect(pids).toHaveLength(2);
    await expect.poll(() => pids.filter(isRunning)).toEqual([]);
  });

  test.each([
    [
      'exits with an error: the first line of its stderr, cut short, and nothing after it',
      `printf 'token expired: run login%0500d\\nsecond line with more detail\\n' 0 >&2\nexit 3`,
      /failed \(exit code 3\): token expired: run login0{176}… \(Run the command/,
    ],
    ['prints no JSON', 'echo hello', /did not print an ExecCredential: its output is not JSON/],
    [
      'prints a credential without a token',
      `echo '{"kind":"ExecCredential","status":{"token":7}}'`,
      /status.token is a number, not a string/,
    ],
    ['prints too much', 'head -c 3000000 /dev/zero', /printed more than 1024 KB/],
  ])('a plugin that %s', async (_, body, message) => {
    const plugin = await writePlugin(body);
    const path = await writeKubeconfig([
      { name: 'exec', server: a.url, caPem: a.caPem, user: { exec: { command: plugin.command } } },
    ]);
    const [source] = kubeconfigContextSources(kubeconfigFromFile(path), ['exec'], options);
    const report = await collect(source as ClusterSource);
    expect(report.status).toBe('failed');
    expect(report.errors.at(-1)?.message).toMatch(message);
    expect(report.errors.at(-1)?.message).not.toContain('second line');
  });

  test('a plugin that is not installed: its installHint', async () => {
    const path = await writeKubeconfig([
      { name: 'exec', server: a.url, caPem: a.caPem, user: { exec: { command: 'no-such-auth-plugin' } } },
    ]);
    const [source] = kubeconfigContextSources(kubeconfigFromFile(path), ['exec'], options);
    const report = await collect(source as ClusterSource);
    expect(report.status).toBe('failed');
    expect(report.errors.at(-1)?.message).toContain(
      'the credential plugin "no-such-auth-plugin" was not found',
    );
  });

  test('each context gets its own client: no token, CA or connection crosses clusters', async () => {
    const path = await writeKubeconfig([
      { name: 'a', server: a.url, caPem: a.caPem, user: { token: 'token-a' } },
      { name: 'b', server: b.url, caPem: b.caPem, user: { token: 'token-b' } },
    ]);
    const sources = kubeconfigContextSources(kubeconfigFromFile(path), ['a', 'b'], options);
    const reports = await Promise.all(sources.map(collect));
    expect(reports.map((report) => report.status)).toEqual(['complete', 'complete']);
    expect(new Set(a.requests.filter((r) => r.user).map((r) => r.user))).not.toContain('auditor-b');
    expect(new Set(b.requests.filter((r) => r.user).map((r) => r.user))).toEqual(new Set(['auditor-b']));
    expect(reports[1]?.objects).toEqual({ Node: 6 });
  });
});

describe('kubeconfigs kept in Secrets Manager or SSM (Lambda)', () => {
  test('a token kubeconfig from Secrets Manager, the context chosen in the entry', async () => {
    const path = await writeKubeconfig([
      { name: 'other', server: b.url, caPem: b.caPem, user: { token: 'token-b' } },
      { name: 'gke', server: a.url, caPem: a.caPem, user: { token: 'token-a' } },
    ]);
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gke-kubeconfig-AbCdEf';
    aws.state.secrets.set(arn, await readFile(path, 'utf8'));
    const report = await collect(storedKubeconfigSource('gke', { secretArn: arn }, 'gke', options));
    expect(report.status).toBe('complete');
    expect(report.objects.Pod).toBe(demoCount('Pod'));
  });

  test('from an SSM SecureString parameter, with its current context', async () => {
    const path = await writeKubeconfig([
      { name: 'aks', server: a.url, caPem: a.caPem, user: { token: 'token-a' } },
    ]);
    aws.state.parameters.set('/dockershim-audit/aks', await readFile(path, 'utf8'));
    const report = await collect(
      storedKubeconfigSource('aks', { parameterName: '/dockershim-audit/aks' }, undefined, options),
    );
    expect(report.status).toBe('complete');
    expect(aws.state.calls.at(-1)).toEqual({
      service: 'ssm',
      action: 'GetParameter',
      target: '/dockershim-audit/aks',
    });
  });

  test('an exec user cannot run in Lambda: the cluster fails with why and what to use instead', async () => {
    const path = await writeKubeconfig([
      { name: 'gke', server: a.url, caPem: a.caPem, user: { exec: { command: 'gke-gcloud-auth-plugin' } } },
    ]);
    aws.state.parameters.set('/dockershim-audit/gke-exec', await readFile(path, 'utf8'));
    const report = await collect(
      storedKubeconfigSource('gke', { parameterName: '/dockershim-audit/gke-exec' }, undefined, options),
    );
    expect(report.status).toBe('failed');
    const message = report.errors.at(-1)?.message ?? '';
    expect(message).toContain('exec plugin (gke-gcloud-auth-plugin), which cannot run in Lambda');
    expect(message).toContain('ServiceAccount token');
  });

  test('a missing secret fails that cluster only, naming the permission', async () => {
    const report = await collect(
      storedKubeconfigSource(
        'x',
        { secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:missing-1a2b3c' },
        undefined,
        options,
      ),
    );
    expect(report.status).toBe('failed');
    expect(report.errors.at(-1)?.message).toMatch(
      /cannot read the kubeconfig from secret .*can't find the specified secret.*secretsmanager:GetSecretValue/,
    );
  });
});
