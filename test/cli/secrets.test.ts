import { chmod, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Report } from '../../lambda/report/model.ts';
import { demoObjects } from '../helpers/live.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { type CliRun, runCli } from '../helpers/run-cli.ts';
import { type SnsServer, startSnsServer } from '../helpers/sns-server.ts';
import { ApiServerSimulator } from '../simulator/api-server.ts';
import { createTestPki } from '../simulator/certificates.ts';
import { clusterFromObjects } from '../simulator/cluster-data.ts';
import { writeKubeconfig } from '../simulator/kubeconfig.ts';

/**
 * One scan in which every place a secret can come from echoes one, each a different one: API
 * servers that quote the bearer token in a 401, 403 and 500, an exec plugin that prints a
 * refresh token and fails, a server URL with a password, a server that quotes a line of the
 * client key it was shown, a webhook receiver that echoes its
 * signing key and URL, an SNS error that quotes the AWS keys. Then every file the run wrote,
 * every line it printed and every request it sent is searched for each of them.
 */
const SECRET = {
  token401: 'tok401-Qx7Lm2Vp9Rt4Hb',
  token403: 'tok403-Zc8Nw1Ks6Fy3Dj',
  token500: 'tok500-Ua5Ge9Pi2Xo7Ml',
  tokenFine: 'tokFine-Rb3Tv8Yh1Cn6Wq',
  refreshToken: '1//0gRefresh-Kd4Ls9Mz2Qp7Vx',
  urlPassword: 'urlPw-Eo6Ri1Tu8Yw3',
  signingSecret: 'signing-Hk2Jl7Nb4Vc9Xz5Mq',
  webhookPath: 'hookPath-Pf3Gd8Sa1Wq6',
  awsSecretKey: 'awsSecretKey-Bn5Mh0Jt7Ry2Ek',
  awsSessionToken: 'awsSession-Cv9Xz4Lk1Oi6Up',
} as const;
/** A line of the client key of the `client-cert` context, known once the key exists. */
let clientKeyLine = '';

let pkiSimulators: ApiServerSimulator[] = [];
let receiver: Receiver;
let sns: SnsServer;
let run: CliRun;
let out: string;

/** Every file under a folder, with its path. */
async function filesUnder(dir: string): Promise<Array<{ path: string; text: string }>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return Promise.all(
    entries
      .filter((entry) => entry.isFile())
      .map(async (entry) => {
        const path = join(entry.parentPath, entry.name);
        return { path, text: await readFile(path, 'utf8') };
      }),
  );
}

/** The forms a secret could take in output: as is, URL-encoded, JSON-escaped. */
function leaks(text: string): string[] {
  return Object.entries({ ...SECRET, clientKeyLine })
    .filter(([, secret]) =>
      [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)].some((form) =>
        text.includes(form),
      ),
    )
    .map(([name]) => name);
}

beforeAll(async () => {
  const pki = await createTestPki();
  const start = (token: string) =>
    ApiServerSimulator.start({
      data: clusterFromObjects(demoObjects()),
      tokens: { [token]: 'auditor' },
      pki,
    });
  const [s401, s403, s500, sFine, sCert] = await Promise.all([
    start(SECRET.token401),
    start(SECRET.token403),
    start(SECRET.token500),
    start(SECRET.tokenFine),
    start('unused'),
  ]);
  pkiSimulators = [s401, s403, s500, sFine, sCert] as ApiServerSimulator[];
  const client = await pki.issueClientCertificate('auditor');
  clientKeyLine = client.keyPem.split('\n')[2] ?? '';
  sCert?.inject({
    path: '/apis/apps/v1/daemonsets',
    times: 20,
    action: {
      type: 'status',
      status: 500,
      message: `tls proxy: bad key material near ${clientKeyLine}`,
    },
  });
  // Servers and proxies that explain a refusal by quoting what they were sent.
  s401?.inject({
    path: '/api/v1/pods',
    action: { type: 'status', status: 401, message: `the bearer token ${SECRET.token401} has expired` },
  });
  s403?.inject({
    path: '/api/v1/nodes',
    action: {
      type: 'status',
      status: 403,
      message: `request with "Authorization: Bearer ${SECRET.token403}" is forbidden: cannot list resource "nodes"`,
    },
  });
  s500?.inject({
    path: '/apis/apps/v1/daemonsets',
    times: 20,
    action: { type: 'status', status: 500, message: `upstream failed for credential ${SECRET.token500}` },
  });

  const dir = await mkdtemp(join(tmpdir(), 'dsa-secrets-'));
  const plugin = join(dir, 'refresh-plugin');
  await writeFile(
    plugin,
    `#!/bin/sh\necho 'oauth2: cannot fetch token: {"error": "invalid_grant", "refresh_token": "${SECRET.refreshToken}"}' >&2\nexit 1\n`,
  );
  await chmod(plugin, 0o755);
  const server = (simulator: ApiServerSimulator | undefined) => simulator?.url ?? '';
  const kubeconfig = await writeKubeconfig([
    { name: 'echo-401', server: server(s401), caPem: pki.caPem, user: { token: SECRET.token401 } },
    { name: 'echo-403', server: server(s403), caPem: pki.caPem, user: { token: SECRET.token403 } },
    { name: 'echo-500', server: server(s500), caPem: pki.caPem, user: { token: SECRET.token500 } },
    { name: 'exec-plugin', server: server(sFine), caPem: pki.caPem, user: { exec: { command: plugin } } },
    {
      name: 'client-cert',
      server: server(sCert),
      caPem: pki.caPem,
      user: { clientCertificatePem: client.certPem, clientKeyPem: client.keyPem },
    },
    {
      name: 'url-password',
      server: server(sFine).replace('https://', `https://auditor:${SECRET.urlPassword}@`),
      caPem: pki.caPem,
      user: { token: SECRET.tokenFine },
    },
  ]);

  receiver = await startReceiver(
    (request) => ({
      status: 400,
      body: `refused: signature key ${SECRET.signingSecret} does not match for ${request.path}`,
    }),
    `/services/T000/B000/${SECRET.webhookPath}`,
  );
  sns = await startSnsServer(() => ({
    status: 403,
    code: 'InvalidClientTokenId',
    message: `The security token ${SECRET.awsSessionToken} signed with ${SECRET.awsSecretKey} is invalid`,
  }));

  out = join(dir, 'out');
  run = await runCli(
    [
      'scan',
      '--kubeconfig',
      kubeconfig,
      '--all-contexts',
      '--out',
      out,
      '--webhook',
      receiver.url,
      '--webhook-format',
      'generic',
      '--sns-topic',
      'arn:aws:sns:us-east-1:123456789012:audit-mail',
    ],
    {
      env: {
        DOCKERSHIM_AUDIT_WEBHOOK_SECRET: SECRET.signingSecret,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIDSECRETSTEST',
        AWS_SECRET_ACCESS_KEY: SECRET.awsSecretKey,
        AWS_SESSION_TOKEN: SECRET.awsSessionToken,
        AWS_ENDPOINT_URL_SNS: sns.endpoint,
        AWS_CONFIG_FILE: '/nonexistent',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      },
    },
  );
}, 60_000);

afterAll(async () => {
  await Promise.all([
    ...pkiSimulators.map((simulator) => simulator.close()),
    receiver?.close(),
    sns?.close(),
  ]);
});

describe('no secret reaches the evidence, the terminal or a message', () => {
  test('every place was made to echo its secret (the test exercises what it claims)', async () => {
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as Report;
    const cluster = (name: string) => report.clusters.find((entry) => entry.name === name);
    expect(cluster('echo-401')?.status).toBe('failed');
    expect(cluster('echo-403')?.status).toBe('partial');
    expect(cluster('echo-500')?.status).toBe('partial');
    expect(cluster('exec-plugin')?.status).toBe('failed');
    expect(cluster('url-password')?.status).toBe('complete');
    expect(cluster('client-cert')?.status).toBe('partial');
    expect(clientKeyLine.length).toBeGreaterThan(40);
    for (const name of ['echo-401', 'echo-403', 'echo-500', 'exec-plugin', 'client-cert'])
      expect(JSON.stringify(cluster(name)?.errors), name).toContain('[redacted]');
    expect(cluster('url-password')?.source).toMatchObject({
      server: expect.stringMatching(/^https:\/\/auditor:\[redacted\]@127\.0\.0\.1:\d+$/),
    });
    expect(receiver.requests).toHaveLength(1);
    expect(run.stdout).toMatch(
      /Notification FAILED: generic webhook .*HTTP 400: refused: signature key \[redacted\]/,
    );
    expect(run.stdout).toMatch(/Notification FAILED: e-mail .*SNS Publish failed: .*\[redacted\]/);
    expect(run.code).toBe(1);
  });

  test('no file the run wrote holds one: reports and diff at the top and under runs/, pointers, state', async () => {
    const files = await filesUnder(out);
    expect(files.map((file) => file.path).filter((path) => path.includes('/runs/')).length).toBeGreaterThan(
      3,
    );
    for (const file of files) expect(leaks(file.text), file.path).toEqual([]);
  });

  test('no line on stdout or stderr holds one', () => {
    expect(leaks(run.stdout)).toEqual([]);
    expect(leaks(run.stderr)).toEqual([]);
  });

  test('no message sent holds one (the webhook body and headers; the receiver only sees its own URL)', () => {
    for (const request of receiver.requests) {
      expect(leaks(request.body)).toEqual([]);
      expect(leaks(JSON.stringify(request.headers))).toEqual([]);
    }
  });
});
