import { readFile } from 'node:fs/promises';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { ConfigError } from '../../lambda/config/errors.ts';
import { auditDeadlineMs, handler, type LambdaContext } from '../../lambda/handler.ts';
import type { DiffDocument, Report } from '../../lambda/report/model.ts';
import type { RunSummary } from '../../lambda/service/run-summary.ts';
import { S3ReportStore } from '../../lambda/store/s3-store.ts';
import { verifyStore } from '../../lambda/store/verify.ts';
import { type FakeAws, startFakeAws } from '../helpers/fake-aws.ts';
import { demoObjects, TOKEN } from '../helpers/live.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { assertValidReport } from '../helpers/report-schema.ts';
import { startTestS3, type TestS3 } from '../helpers/s3.ts';
import { ApiServerSimulator } from '../simulator/api-server.ts';
import { clusterFromObjects } from '../simulator/cluster-data.ts';
import { writeKubeconfig } from '../simulator/kubeconfig.ts';

/**
 * The handler invoked as the Lambda runtime invokes it (an event, a context with the clock),
 * against real doubles: the API-server simulator over TLS (a kubeconfig cluster and an EKS
 * cluster with IAM tokens), an S3-compatible server, a loopback AWS for SSM, Secrets Manager
 * and EKS, and a webhook receiver.
 */
const ACCOUNT = '123456789012';
const KUBECONFIG_SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:gke-kubeconfig-AbCdEf`;
const WEBHOOK_SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:dockershim-audit-webhook-XyZ123`;
const CONFIG_PARAMETER = '/dockershim-audit/config';
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:dockershim-audit`;

let s3: TestS3;
let stagingBucket: string;
let aws: FakeAws;
let gke: ApiServerSimulator;
let eks: ApiServerSimulator;
let receiver: Receiver;
let logs: string[];
const previousEnv = { ...process.env };
const realWrite = process.stdout.write.bind(process.stdout);

function context(remainingMs = 300_000): LambdaContext {
  const deadline = Date.now() + remainingMs;
  return {
    getRemainingTimeInMillis: () => deadline - Date.now(),
    invokedFunctionArn: FUNCTION_ARN,
    awsRequestId: 'req-1',
  };
}

function setConfig(document: unknown): void {
  aws.state.parameters.set(
    CONFIG_PARAMETER,
    typeof document === 'string' ? document : JSON.stringify(document),
  );
}

async function objectKeys(bucket = s3.bucket): Promise<string[]> {
  const listed = await s3.client().send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
}

async function objectText(key: string): Promise<string> {
  const object = await s3.client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
  return (await object.Body?.transformToString()) ?? '';
}

const clusters = () => [
  { name: 'gke-main', type: 'kubeconfig', secretArn: KUBECONFIG_SECRET },
  { name: 'prod-eks', type: 'eks', clusterName: 'prod-eks', region: 'us-east-1' },
];

beforeAll(async () => {
  s3 = await startTestS3();
  stagingBucket = await s3.createBucket();
  aws = await startFakeAws();
  receiver = await startReceiver();
  const credentials = s3.connection().credentials ?? { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  gke = await ApiServerSimulator.start({
    data: clusterFromObjects(demoObjects()),
    tokens: { [TOKEN]: 'auditor' },
  });
  eks = await ApiServerSimulator.start({
    data: clusterFromObjects(demoObjects().filter((object) => object.kind === 'Node')),
    eks: {
      clusterName: 'prod-eks',
      credentials: new Map([
        [
          credentials.accessKeyId,
          {
            secretAccessKey: credentials.secretAccessKey,
            arn: `arn:aws:sts::${ACCOUNT}:assumed-role/dockershim-audit/fn`,
          },
        ],
      ]),
    },
    pki: gke.pki,
  });
  aws.state.eksClusters.set('prod-eks', { endpoint: eks.url, caPem: eks.caPem });
  const kubeconfig = await writeKubeconfig([
    { name: 'gke', server: gke.url, caPem: gke.caPem, user: { token: TOKEN } },
  ]);
  aws.state.secrets.set(KUBECONFIG_SECRET, await readFile(kubeconfig, 'utf8'));
  aws.state.secrets.set(
    WEBHOOK_SECRET,
    JSON.stringify({ url: receiver.url, signingSecret: 'a-signing-secret-of-32-characters!' }),
  );
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_ENDPOINT_URL: aws.url,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    DOCKERSHIM_AUDIT_CONFIG_PARAMETER: CONFIG_PARAMETER,
    DOCKERSHIM_AUDIT_BUCKET: s3.bucket,
    DOCKERSHIM_AUDIT_STAGING_BUCKET: stagingBucket,
    DOCKERSHIM_AUDIT_PREFIX: 'audits/',
    DOCKERSHIM_AUDIT_WEBHOOK_SECRET_ARN: WEBHOOK_SECRET,
  });
});

afterAll(async () => {
  process.env = previousEnv;
  await Promise.all([s3.close(), aws.close(), gke.close(), eks.close(), receiver.close()]);
});

beforeEach(() => {
  logs = [];
  process.stdout.write = ((chunk: string | Uint8Array) => {
    logs.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
});
afterEach(() => {
  process.stdout.write = realWrite;
  gke.clearFaults();
});

describe('the scheduled run', () => {
  test('reads every cluster, stores the run as evidence, posts the change, and returns and logs a summary', async () => {
    setConfig({ clusters: clusters(), notify: { notify: 'always', webhookFormat: 'generic' } });
    const before = receiver.requests.length;
    const summary = (await handler({}, context())) as RunSummary;

    expect(summary).toMatchObject({
      status: 'ok',
      clusters: { complete: 2, partial: 0, failed: 0 },
      stored: true,
      notification: { sent: true, ok: true },
    });
    expect(summary.findings.critical).toBeGreaterThan(0);
    const keys = await objectKeys();
    for (const name of ['report.json', 'report.html', 'report.md', 'diff.json', 'manifest.json']) {
      expect(keys).toContain(`audits/runs/${summary.runId}/${name}`);
    }
    expect(keys).toContain('audits/latest.json');
    // The summary names the report people open, inside the store's prefix.
    expect(summary.reportKey).toBe(`runs/${summary.runId}/report.html`);
    expect(keys).toContain(`audits/${summary.reportKey}`);
    const report: unknown = JSON.parse(await objectText(`audits/runs/${summary.runId}/report.json`));
    assertValidReport(report);
    expect((report as Report).identity).toBe(`AWS Lambda ${FUNCTION_ARN}`);
    expect((report as Report).clusters.map((cluster) => [cluster.name, cluster.status])).toEqual([
      ['gke-main', 'complete'],
      ['prod-eks', 'complete'],
    ]);

    expect(receiver.requests.length - before).toBe(1);
    const posted = JSON.parse(receiver.requests.at(-1)?.body ?? '{}') as DiffDocument;
    expect(posted.runId).toBe(summary.runId);
    expect(posted.reportUrl).toMatch(/runs\/.*\/report\.html/);

    const metrics = logs.map((line) => JSON.parse(line)).find((entry) => entry._aws);
    expect(metrics._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'DockershimAudit' });
    expect(metrics).toMatchObject({
      RunFailed: 0,
      ClustersFailed: 0,
      NotificationFailed: 0,
      summary: { runId: summary.runId },
    });
    expect(logs.join('')).not.toContain('a-signing-secret');
    expect(logs.join('')).not.toContain(TOKEN);
  });

  test('a cluster that cannot be reached is failed with its reason; the others are read and the run is stored', async () => {
    setConfig({
      clusters: [...clusters(), { name: 'gone', type: 'eks', clusterName: 'gone', region: 'us-east-1' }],
      clusterTimeoutSeconds: 30,
    });
    const summary = (await handler({ mode: 'run' }, context())) as RunSummary;
    expect(summary.status).toBe('incomplete');
    expect(summary.clusters).toEqual({ complete: 2, partial: 0, failed: 1 });
    expect(summary.failedClusters[0]?.name).toBe('gone');
    expect(summary.failedClusters[0]?.reason).toContain('cannot describe EKS cluster gone');
    expect(summary.stored).toBe(true);
  });

  test('before the Lambda deadline it stores what it has and marks unfinished clusters failed with reason deadline', async () => {
    setConfig({ clusters: clusters() });
    gke.inject({ path: '/api/v1/pods', times: 20, action: { type: 'delay', ms: 5_000 } });
    const started = Date.now();
    const summary = (await handler({}, context(4_000))) as RunSummary;
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(summary.stored).toBe(true);
    expect(summary.failedClusters).toEqual([
      { name: 'gke-main', reason: expect.stringMatching(/^deadline: /) },
    ]);
    const report = JSON.parse(await objectText(`audits/runs/${summary.runId}/report.json`)) as Report;
    expect(report.clusters.find((cluster) => cluster.name === 'prod-eks')?.status).toBe('complete');
  });

  test('the deadline keeps time back for storing and notifying', () => {
    expect(auditDeadlineMs(900_000)).toBe(780_000);
    expect(auditDeadlineMs(8_000)).toBe(6_000);
    expect(auditDeadlineMs(500)).toBe(1_000);
  });
});

describe('a bad configuration is a clear error and nothing is written', () => {
  test.each([
    ['not JSON', '{"clusters": ['],
    ['an unknown cluster type', { clusters: [{ name: 'x', type: 'gke' }] }],
    [
      'a webhook URL in the configuration',
      { clusters: clusters(), notify: { webhookUrl: 'https://hooks.slack.com/x' } },
    ],
    ['an invalid exemption', { clusters: clusters(), policy: { exemptions: [{ rule: 'DS001' }] } }],
  ])('%s', async (_, document) => {
    setConfig(document);
    const before = await objectKeys();
    await expect(handler({}, context())).rejects.toBeInstanceOf(ConfigError);
    expect(await objectKeys()).toEqual(before);
    expect(logs.some((line) => JSON.parse(line).level === 'error')).toBe(true);
  });

  test('an unknown event mode', async () => {
    setConfig({ clusters: clusters() });
    await expect(handler({ mode: 'explode' }, context())).rejects.toThrow('unknown mode "explode"');
  });
});

describe('fleet mode: plan, one invocation per cluster, aggregate', () => {
  test('the aggregate stores one run made of the per-cluster results passed through S3', async () => {
    setConfig({ clusters: clusters(), notify: { notify: 'always', webhookFormat: 'generic' } });
    const plan = (await handler({ mode: 'plan' }, context())) as { runId: string; clusters: string[] };
    expect(plan.clusters).toEqual(['gke-main', 'prod-eks']);
    const webhookSecretReads = () => aws.state.calls.filter((call) => call.target === WEBHOOK_SECRET).length;
    const readsBefore = webhookSecretReads();
    const items = await Promise.all(
      plan.clusters.map((cluster) => handler({ mode: 'cluster', runId: plan.runId, cluster }, context())),
    );
    // A map item notifies nobody: it does not read the webhook secret.
    expect(webhookSecretReads()).toBe(readsBefore);
    expect(items).toEqual([
      expect.objectContaining({ cluster: 'gke-main', status: 'complete' }),
      expect.objectContaining({ cluster: 'prod-eks', status: 'complete' }),
    ]);
    // Staged outside the evidence bucket (no Object Lock there), and removed once the run is stored.
    expect(await objectKeys(stagingBucket)).toContain(`audits/staging/${plan.runId}/clusters/gke-main.json`);
    expect((await objectKeys()).filter((key) => key.includes('staging/'))).toEqual([]);
    const summary = (await handler({ mode: 'aggregate', runId: plan.runId }, context())) as RunSummary;
    expect((await objectKeys(stagingBucket)).filter((key) => key.includes(plan.runId))).toEqual([]);
    expect(webhookSecretReads()).toBe(readsBefore + 1);
    expect(summary).toMatchObject({
      runId: plan.runId,
      status: 'ok',
      clusters: { complete: 2 },
      stored: true,
    });
    const pointer = JSON.parse(await objectText('audits/latest.json')) as { runId: string };
    expect(pointer.runId).toBe(plan.runId);
  });

  test('a cluster whose map item never finished is failed in the aggregate, so nothing looks resolved', async () => {
    setConfig({ clusters: clusters() });
    const plan = (await handler({ mode: 'plan' }, context())) as { runId: string; clusters: string[] };
    await handler({ mode: 'cluster', runId: plan.runId, cluster: 'prod-eks' }, context());
    const summary = (await handler({ mode: 'aggregate', runId: plan.runId }, context())) as RunSummary;
    expect(summary.failedClusters).toEqual([
      { name: 'gke-main', reason: expect.stringContaining('did not finish') },
    ]);
    const diff = JSON.parse(await objectText(`audits/runs/${plan.runId}/diff.json`)) as DiffDocument;
    expect(diff.clusters.find((cluster) => cluster.name === 'gke-main')?.resolved).toEqual([]);
  });
});

describe('fleet mode: every step retried and duplicated', () => {
  test('each step twice, and twice at once: one run, announced once, verify clean, staging emptied', async () => {
    setConfig({ clusters: clusters(), notify: { notify: 'always', webhookFormat: 'generic' } });
    const plan = {
      mode: 'plan',
      execution: { name: 'nightly-a1b2c3', startTime: '2026-11-22T03:00:00.000Z' },
    };
    type Plan = { runId: string; clusters: string[] };
    const plans = [
      ...((await Promise.all([handler(plan, context()), handler(plan, context())])) as Plan[]),
      (await handler(plan, context())) as Plan,
    ];
    const { runId } = plans[0] as Plan;
    expect(plans.map((entry) => entry.runId)).toEqual([runId, runId, runId]);

    for (const cluster of clusters().map((entry) => entry.name)) {
      const event = { mode: 'cluster', runId, cluster };
      const items = [
        ...(await Promise.all([handler(event, context()), handler(event, context())])),
        await handler(event, context()),
      ] as Array<{ status: string; reused?: true }>;
      expect(items.map((item) => item.status)).toEqual(['complete', 'complete', 'complete']);
      expect(items[2]?.reused).toBe(true);
    }
    const staged = (await objectKeys(stagingBucket)).filter((key) => key.includes(runId));
    expect(staged).toHaveLength(2);

    const posted = () =>
      receiver.requests.filter((request) => (JSON.parse(request.body) as { runId?: string }).runId === runId);
    const aggregate = { mode: 'aggregate', runId };
    const summaries = [
      ...(await Promise.all([handler(aggregate, context()), handler(aggregate, context())])),
      await handler(aggregate, context()),
    ] as RunSummary[];
    expect(summaries.map((summary) => [summary.runId, summary.status, summary.stored])).toEqual([
      [runId, 'ok', true],
      [runId, 'ok', true],
      [runId, 'ok', true],
    ]);
    expect(summaries.filter((summary) => summary.alreadyStored)).toHaveLength(2);
    expect(posted()).toHaveLength(1);
    expect((await objectKeys(stagingBucket)).filter((key) => key.includes(runId))).toEqual([]);

    // A map item that arrives after the run is stored audits nothing and stages nothing.
    const late = (await handler({ mode: 'cluster', runId, cluster: 'gke-main' }, context())) as {
      reused?: true;
    };
    expect(late.reused).toBe(true);
    expect((await objectKeys(stagingBucket)).filter((key) => key.includes(runId))).toEqual([]);

    const evidence = new S3ReportStore({ bucket: s3.bucket, prefix: 'audits', client: s3.client() });
    const verified = await verifyStore(evidence);
    expect(verified.problems).toEqual([]);
    expect(verified.runs.filter((run) => run.runId === runId)).toHaveLength(1);
    expect((await objectKeys()).filter((key) => key.includes(`runs/${runId}/`))).toHaveLength(5);
  }, 120_000);
});

describe('fleet mode needs its staging bucket', () => {
  test.each([
    ['unset', undefined, 'DOCKERSHIM_AUDIT_STAGING_BUCKET is not set'],
    ['the evidence bucket', 'evidence', 'DOCKERSHIM_AUDIT_STAGING_BUCKET names the evidence bucket'],
  ])('%s: a clear error before anything is read or written', async (_name, value, message) => {
    setConfig({ clusters: clusters() });
    const before = await objectKeys();
    const saved = process.env.DOCKERSHIM_AUDIT_STAGING_BUCKET;
    if (value === undefined) delete process.env.DOCKERSHIM_AUDIT_STAGING_BUCKET;
    else process.env.DOCKERSHIM_AUDIT_STAGING_BUCKET = s3.bucket;
    try {
      const event = { mode: 'cluster', runId: '20261122T030000Z-a1b2c3', cluster: 'gke-main' };
      await expect(handler(event, context())).rejects.toThrow(message);
    } finally {
      process.env.DOCKERSHIM_AUDIT_STAGING_BUCKET = saved;
    }
    expect(await objectKeys()).toEqual(before);
  });
});

describe('the webhook secret as the stack creates it', () => {
  test('with a signing key but no URL yet, the run goes on without a webhook', async () => {
    setConfig({ clusters: clusters().slice(0, 1), notify: { notify: 'always', webhookFormat: 'generic' } });
    aws.state.secrets.set(
      WEBHOOK_SECRET,
      JSON.stringify({ signingSecret: 'generated-by-the-stack-0123456789abcdef' }),
    );
    try {
      const summary = (await handler({}, context())) as RunSummary;
      expect(summary.status).toBe('ok');
      expect(summary.notification).toMatchObject({
        sent: false,
        ok: true,
        reason: 'no webhook or e-mail topic is configured',
      });
    } finally {
      aws.state.secrets.set(
        WEBHOOK_SECRET,
        JSON.stringify({ url: receiver.url, signingSecret: 'a-signing-secret-of-32-characters!' }),
      );
    }
  });
});
