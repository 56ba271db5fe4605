import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type FakeAws, startFakeAws } from '../helpers/fake-aws.ts';
import { flatten } from '../helpers/infra.ts';
import { demoCluster } from '../helpers/live.ts';
import { REPO_ROOT } from '../helpers/paths.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { startTestS3, type TestS3 } from '../helpers/s3.ts';
import type { ApiServerSimulator } from '../simulator/api-server.ts';

const run = promisify(execFile);
const BIN = join(REPO_ROOT, 'node_modules/.bin');

/**
 * The real CLI, as a developer runs it on a fresh clone: `npx cdk synth` with cdk.json, the
 * local esbuild and no Docker, offline. Its output is then used as Lambda would use it: the
 * bundle is loaded by Node.js 24 in a process of its own and invoked with an event and a
 * context, against the test doubles (API server, S3, AWS APIs, webhook receiver).
 *
 * Slow for a unit test (the synth bundles the handler: about 5 s here), and kept: nothing else
 * shows that cdk.json, the CLI and the bundle work together.
 */
let outdir: string;
let synthSeconds: number;
let proxyConnections: number;
let template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

/** A proxy that only counts: the CLI must not try to reach the internet (notices, telemetry). */
async function countingProxy(): Promise<{ server: Server; url: string; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { server, url: `http://127.0.0.1:${port}`, connections: () => connections };
}

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'dsa-cdk-cli-'));
  const proxy = await countingProxy();
  const started = performance.now();
  try {
    await run(join(BIN, 'cdk'), ['synth', '--quiet', '--output', outdir], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        // cdk.json's "node infra/app.ts" must find the project's Node 24, as under npx.
        PATH: `${BIN}:${process.env.PATH ?? ''}`,
        HTTPS_PROXY: proxy.url,
        HTTP_PROXY: proxy.url,
        NO_PROXY: '',
        CDK_DEFAULT_ACCOUNT: '',
        CDK_DEFAULT_REGION: '',
      },
      timeout: 120_000,
    });
  } finally {
    synthSeconds = (performance.now() - started) / 1000;
    proxyConnections = proxy.connections();
    proxy.server.close();
  }
  // The one stack's template, whatever stackName cdk.json gives it (the operator's to choose).
  const templates = readdirSync(outdir).filter((name) => name.endsWith('.template.json'));
  expect(templates).toHaveLength(1);
  template = JSON.parse(readFileSync(join(outdir, templates[0] ?? ''), 'utf8'));
}, 150_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

/** The audit function's properties in the synthesized template. */
function functionProperties(): Record<string, unknown> {
  const fn = Object.values(template.Resources).find((resource) => resource.Type === 'AWS::Lambda::Function');
  if (!fn) throw new Error('the template has no function');
  return fn.Properties;
}

/** The asset folder of the audit function's code, as the template names it. */
function bundleDir(): string {
  const key = flatten((functionProperties().Code as { S3Key: unknown }).S3Key);
  const dir = join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
  expect(existsSync(dir), dir).toBe(true);
  return dir;
}

describe('npx cdk synth (the real CLI, offline, no Docker)', () => {
  test('synthesizes the stack from cdk.json without reaching the network', () => {
    console.info(`cdk synth took ${synthSeconds.toFixed(1)} s`);
    expect(Object.values(template.Resources).map((resource) => resource.Type)).toContain(
      'AWS::Lambda::Function',
    );
    expect(proxyConnections).toBe(0);
    expect(JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')).pluginReports).toEqual(
      [],
    );
  });

  test('cdk.json turns off notices, telemetry and version reporting', () => {
    const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8'));
    expect(cdkJson).toMatchObject({ app: 'node infra/app.ts', notices: false, versionReporting: false });
    expect(cdkJson.context['cli-telemetry']).toBe(false);
    expect(Object.values(template.Resources).map((resource) => resource.Type)).not.toContain(
      'AWS::CDK::Metadata',
    );
  });

  test('the bundle is one ES module exporting handler, with the templates beside it and no source map', async () => {
    const dir = bundleDir();
    expect(readdirSync(dir).sort()).toEqual(['index.mjs', 'templates']);
    expect(readFileSync(join(dir, 'index.mjs'), 'utf8')).not.toMatch(/sourceMappingURL/);
    expect(readdirSync(join(dir, 'templates')).sort()).toEqual(
      readdirSync(join(REPO_ROOT, 'templates')).sort(),
    );
    const { stdout } = await run(
      join(BIN, 'node'),
      [
        '--input-type=module',
        '-e',
        'const m = await import(process.argv[1]); console.log(JSON.stringify({ handler: typeof m.handler }));',
        join(dir, 'index.mjs'),
      ],
      { cwd: tmpdir() },
    );
    expect(JSON.parse(stdout)).toEqual({ handler: 'function' });
  });
});

describe('the bundled handler, invoked as Lambda invokes it', () => {
  const ACCOUNT = '123456789012';
  const KUBECONFIG_SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:onprem-kubeconfig-AbCdEf`;
  const WEBHOOK_SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:dockershim-audit-webhook-XyZ123`;
  const CONFIG_PARAMETER = '/dockershim-audit/config';
  let s3: TestS3;
  let aws: FakeAws;
  let cluster: ApiServerSimulator;
  let receiver: Receiver;

  beforeAll(async () => {
    [s3, aws, receiver] = await Promise.all([startTestS3(), startFakeAws(), startReceiver()]);
    const demo = await demoCluster();
    cluster = demo.simulator;
    aws.state.secrets.set(KUBECONFIG_SECRET, readFileSync(demo.kubeconfig, 'utf8'));
    aws.state.secrets.set(
      WEBHOOK_SECRET,
      JSON.stringify({ url: receiver.url, signingSecret: 'a-signing-secret-of-32-characters!' }),
    );
    aws.state.parameters.set(
      CONFIG_PARAMETER,
      JSON.stringify({
        clusters: [{ name: 'onprem', type: 'kubeconfig', secretArn: KUBECONFIG_SECRET }],
        notify: { notify: 'always', webhookFormat: 'generic' },
      }),
    );
  });

  afterAll(async () => {
    await Promise.all([s3?.close(), aws?.close(), cluster?.close(), receiver?.close()]);
  });

  /**
   * The function's environment from the synthesized template, each value the stack would
   * resolve at deploy time replaced by its double: the variable names are the template's own.
   */
  function functionEnvironment(): Record<string, string> {
    const variables = (functionProperties().Environment as { Variables: Record<string, unknown> }).Variables;
    const doubles: Record<string, string> = {
      DOCKERSHIM_AUDIT_CONFIG_PARAMETER: CONFIG_PARAMETER,
      DOCKERSHIM_AUDIT_BUCKET: s3.bucket,
      DOCKERSHIM_AUDIT_KMS_KEY_ID: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      DOCKERSHIM_AUDIT_WEBHOOK_SECRET_ARN: WEBHOOK_SECRET,
    };
    return Object.fromEntries(
      Object.entries(variables).map(([name, value]) => [
        name,
        doubles[name] ?? (typeof value === 'string' ? value : `unresolved ${flatten(value)}`),
      ]),
    );
  }

  test('a scheduled run reads the cluster, stores the evidence under the prefix and notifies', async () => {
    const dir = bundleDir();
    // The bundle finds its templates beside itself: the function's environment does not name them.
    expect(functionEnvironment()).not.toHaveProperty('DOCKERSHIM_AUDIT_TEMPLATES');
    const invoke = [
      'const [bundle, event] = process.argv.slice(1);',
      'const { handler } = await import(bundle);',
      'const deadline = Date.now() + 120000;',
      'const context = { getRemainingTimeInMillis: () => deadline - Date.now(), invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:audit", awsRequestId: "bundle-test" };',
      'const result = await handler(JSON.parse(event), context);',
      'process.stdout.write("\\nRESULT " + JSON.stringify(result) + "\\n");',
    ].join('\n');
    const { stdout } = await run(
      join(BIN, 'node'),
      ['--input-type=module', '-e', invoke, join(dir, 'index.mjs'), JSON.stringify({ mode: 'run' })],
      {
        cwd: tmpdir(),
        env: {
          PATH: process.env.PATH ?? '',
          ...s3.env(),
          AWS_ENDPOINT_URL: aws.url,
          AWS_ENDPOINT_URL_S3: s3.endpoint,
          AWS_CONFIG_FILE: '/nonexistent',
          AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
          ...functionEnvironment(),
        },
        timeout: 60_000,
      },
    );
    const resultLine = stdout.split('\n').find((line) => line.startsWith('RESULT '));
    const summary = JSON.parse(resultLine?.slice('RESULT '.length) ?? '{}');

    expect(summary).toMatchObject({ status: 'ok', stored: true, clusters: { complete: 1, failed: 0 } });
    // The EMF record the alarms read is a line of its own on stdout, not wrapped by console.log.
    expect(stdout).toMatch(/^\{"timestamp":"[^"]+","_aws":\{.*"Namespace":"DockershimAudit"/m);
    const listed = await s3.client().send(new ListObjectsV2Command({ Bucket: s3.bucket }));
    const keys = (listed.Contents ?? []).map((object) => object.Key ?? '');
    expect(keys).toEqual(
      expect.arrayContaining([
        'audits/latest.json',
        `audits/runs/${summary.runId}/report.html`,
        `audits/runs/${summary.runId}/manifest.json`,
      ]),
    );
    expect(keys.every((key) => key.startsWith('audits/'))).toBe(true);
    const html = await s3
      .client()
      .send(new GetObjectCommand({ Bucket: s3.bucket, Key: `audits/runs/${summary.runId}/report.html` }));
    expect(await html.Body?.transformToString()).toMatch(/^<!doctype html>/i);
    expect(receiver.requests).toHaveLength(1);
    expect(JSON.parse(receiver.requests[0]?.body ?? '{}')).toMatchObject({
      event: 'dockershim-audit.diff',
      runId: summary.runId,
    });
  }, 60_000);
});
