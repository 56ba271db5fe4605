import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { ConfigError } from '../../lambda/config/errors.ts';
import type { Report } from '../../lambda/report/model.ts';
import { type FakeAws, startFakeAws } from '../helpers/fake-aws.ts';
import { invokeLogged, serviceEnvironment } from '../helpers/lambda.ts';
import { demoObjects } from '../helpers/live.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { startTestS3, type TestS3 } from '../helpers/s3.ts';
import { ApiServerSimulator } from '../simulator/api-server.ts';
import { clusterFromObjects } from '../simulator/cluster-data.ts';
import { writeKubeconfig } from '../simulator/kubeconfig.ts';

/**
 * The Lambda's side of "no secret in the evidence": a kubeconfig from Secrets Manager whose
 * server URL has a password and whose API server quotes the token in a 401, an EKS call whose
 * AWS error quotes the session token, a webhook that echoes its signing key, a configuration
 * that cannot be read. Every object in the buckets (runs, pointers, fleet staging), every JSON
 * log line, every result and thrown error, and every webhook body is searched.
 */
const ACCOUNT = '123456789012';
const KUBECONFIG_SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:kc-echo-AbCdEf`;
const WEBHOOK_SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:webhook-XyZ123`;
const CONFIG_PARAMETER = '/dockershim-audit/secrets-test';
const SECRET = {
  token: 'lambdaTok-Mw4Rt8Ya2Kc6Pz',
  urlPassword: 'lambdaUrlPw-Jq3Hx7Ln5Bv1',
  sessionToken: 'lambdaSession-Gd9Fs2Wk6Tu4',
  signingSecret: 'lambdaSigning-Ce5Nb1Zr8Oy3Xi',
  webhookPath: 'lambdaHook-Vs7Dp4Qm0Ej2',
} as const;

let s3: TestS3;
let aws: FakeAws;
let cluster: ApiServerSimulator;
let receiver: Receiver;
let stagingBucket: string;
const logs: string[] = [];
const results: unknown[] = [];
const previousEnv = { ...process.env };

function leaks(text: string): string[] {
  return Object.entries(SECRET)
    .filter(([, secret]) =>
      [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)].some((form) =>
        text.includes(form),
      ),
    )
    .map(([name]) => name);
}

async function invoke(event: unknown): Promise<unknown> {
  try {
    const result = await invokeLogged(event, logs);
    results.push(result);
    return result;
  } catch (error) {
    results.push({ thrown: String(error), stack: (error as Error).stack, hint: (error as ConfigError).hint });
    throw error;
  }
}

async function bucketObjects(bucket = s3.bucket): Promise<Array<{ key: string; text: string }>> {
  const listed = await s3.client().send(new ListObjectsV2Command({ Bucket: bucket }));
  return Promise.all(
    (listed.Contents ?? []).map(async ({ Key }) => {
      const object = await s3.client().send(new GetObjectCommand({ Bucket: bucket, Key }));
      return { key: Key ?? '', text: (await object.Body?.transformToString()) ?? '' };
    }),
  );
}

beforeAll(async () => {
  [s3, aws] = await Promise.all([startTestS3(), startFakeAws()]);
  stagingBucket = await s3.createBucket();
  receiver = await startReceiver(
    () => ({ status: 400, body: `no: key ${SECRET.signingSecret} is not ours` }),
    `/hooks/${SECRET.webhookPath}`,
  );
  cluster = await ApiServerSimulator.start({
    data: clusterFromObjects(demoObjects()),
    tokens: { [SECRET.token]: 'auditor' },
  });
  const kubeconfig = await writeKubeconfig([
    {
      name: 'kc',
      server: cluster.url.replace('https://', `https://auditor:${SECRET.urlPassword}@`),
      caPem: cluster.caPem,
      user: { token: SECRET.token },
    },
  ]);
  aws.state.secrets.set(
    KUBECONFIG_SECRET,
    await import('node:fs/promises').then((fs) => fs.readFile(kubeconfig, 'utf8')),
  );
  aws.state.secrets.set(
    WEBHOOK_SECRET,
    JSON.stringify({ url: receiver.url, signingSecret: SECRET.signingSecret }),
  );
  aws.state.failures.set('denied', {
    status: 403,
    type: 'UnrecognizedClientException',
    message: `The security token included in the request is invalid: ${SECRET.sessionToken}`,
  });
  aws.state.parameters.set(
    CONFIG_PARAMETER,
    JSON.stringify({
      clusters: [
        { name: 'kc-echo', type: 'kubeconfig', secretArn: KUBECONFIG_SECRET },
        { name: 'eks-denied', type: 'eks', clusterName: 'denied', region: 'us-east-1' },
      ],
      notify: { notify: 'always', webhookFormat: 'generic' },
    }),
  );
  Object.assign(process.env, {
    ...serviceEnvironment(s3, aws),
    AWS_SESSION_TOKEN: SECRET.sessionToken,
    DOCKERSHIM_AUDIT_CONFIG_PARAMETER: CONFIG_PARAMETER,
    DOCKERSHIM_AUDIT_STAGING_BUCKET: stagingBucket,
    DOCKERSHIM_AUDIT_WEBHOOK_SECRET_ARN: WEBHOOK_SECRET,
  });
});

afterAll(async () => {
  process.env = previousEnv;
  await Promise.all([s3?.close(), aws?.close(), cluster?.close(), receiver?.close()]);
});

beforeEach(() => {
  cluster.clearFaults();
  cluster.inject({
    path: '/api/v1/pods',
    action: { type: 'status', status: 401, message: `token ${SECRET.token} is not valid for this cluster` },
  });
});

describe('the Lambda keeps secrets out of the bucket, its logs, its results and the messages', () => {
  test('a scheduled run and a fleet run, each with every secret echoed somewhere', async () => {
    const summary = (await invoke({ mode: 'run' })) as { runId: string; failedClusters: unknown[] };
    expect(summary.failedClusters).toHaveLength(2);
    const plan = (await invoke({ mode: 'plan' })) as { runId: string; clusters: string[] };
    cluster.inject({
      path: '/api/v1/pods',
      action: { type: 'status', status: 401, message: `token ${SECRET.token} is not valid here` },
    });
    for (const name of plan.clusters) await invoke({ mode: 'cluster', runId: plan.runId, cluster: name });
    // Staged results are removed once the aggregate stores the run: read them before.
    const staged = await bucketObjects(stagingBucket);
    await invoke({ mode: 'aggregate', runId: plan.runId });

    const objects = [...(await bucketObjects()), ...staged];
    // The test exercises what it claims: the errors are there, redacted, and staging was written.
    const report = JSON.parse(
      objects.find((object) => object.key === `audits/runs/${summary.runId}/report.json`)?.text ?? '{}',
    ) as Report;
    const errors = JSON.stringify(report.clusters.map((entry) => entry.errors));
    expect(errors).toContain('is not valid for this cluster');
    expect(errors).toContain('The security token included in the request is invalid: [redacted]');
    expect(report.clusters[0]?.source).toMatchObject({ server: expect.stringContaining(':[redacted]@') });
    expect(staged.filter((object) => object.key.includes(`staging/${plan.runId}/`))).toHaveLength(2);
    expect(receiver.requests.length).toBeGreaterThanOrEqual(2);

    for (const object of objects) expect(leaks(object.text), object.key).toEqual([]);
    for (const line of logs) expect(leaks(line), line).toEqual([]);
    for (const result of results) expect(leaks(JSON.stringify(result))).toEqual([]);
    for (const request of receiver.requests) {
      // A link presigned with temporary credentials must carry their session token: S3 checks the
      // signature with it. It signs nothing by itself; it is the only place the token may be.
      const { reportUrl, ...message } = JSON.parse(request.body) as { reportUrl?: string };
      expect(leaks(JSON.stringify(message))).toEqual([]);
      const link = new URL(reportUrl ?? '');
      link.searchParams.delete('X-Amz-Security-Token');
      expect(leaks(link.href)).toEqual([]);
    }
  });

  test('a configuration that cannot be read: the error thrown and logged quotes no secret, and keeps its class', async () => {
    aws.state.failures.set(CONFIG_PARAMETER, {
      status: 400,
      type: 'AccessDeniedException',
      message: `User with session ${SECRET.sessionToken} is not authorized to perform ssm:GetParameter`,
    });
    logs.length = 0;
    const thrown = await invoke({ mode: 'run' }).catch((error: unknown) => error);
    aws.state.failures.delete(CONFIG_PARAMETER);

    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).message).toContain('is not authorized to perform ssm:GetParameter');
    expect(
      leaks(`${(thrown as Error).message} ${(thrown as Error).stack} ${(thrown as ConfigError).hint}`),
    ).toEqual([]);
    expect((thrown as Error).cause).toBeUndefined();
    expect(logs.some((line) => JSON.parse(line).level === 'error')).toBe(true);
    for (const line of logs) expect(leaks(line), line).toEqual([]);
  });
});
