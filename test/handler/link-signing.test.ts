import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { DiffDocument } from '../../lambda/report/model.ts';
import { type FakeAws, startFakeAws } from '../helpers/fake-aws.ts';
import { invokeLogged, serviceEnvironment } from '../helpers/lambda.ts';
import { demoCluster } from '../helpers/live.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { startTestS3, type TestS3 } from '../helpers/s3.ts';
import type { ApiServerSimulator } from '../simulator/api-server.ts';

/**
 * Week-long report links from the Lambda: its own credentials are a role session (an access
 * key with a session token, no expiry it can see), so the link it signs may end within hours,
 * and the message says so. With a link signing secret (an IAM user's long-term keys) the link
 * lasts the week asked for; a secret that cannot be used costs the long link, not the run.
 */
const ACCOUNT = '123456789012';
const KUBECONFIG_SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:kc-AbCdEf`;
const WEBHOOK_SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:webhook-AbCdEf`;
const SIGNING_SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:link-signer-AbCdEf`;

let s3: TestS3;
let aws: FakeAws;
let cluster: ApiServerSimulator;
let receiver: Receiver;
let logs: string[] = [];
const previousEnv = { ...process.env };

/** One scheduled run; what the generic webhook received. */
async function run(signingSecret?: string): Promise<DiffDocument> {
  if (signingSecret === undefined) delete process.env.DOCKERSHIM_AUDIT_LINK_SIGNING_SECRET_ARN;
  else {
    aws.state.secrets.set(SIGNING_SECRET, signingSecret);
    process.env.DOCKERSHIM_AUDIT_LINK_SIGNING_SECRET_ARN = SIGNING_SECRET;
  }
  await invokeLogged({ mode: 'run' }, logs);
  return JSON.parse(receiver.requests.at(-1)?.body ?? '{}') as DiffDocument;
}

beforeAll(async () => {
  [s3, aws, receiver] = await Promise.all([startTestS3(), startFakeAws(), startReceiver()]);
  const demo = await demoCluster();
  cluster = demo.simulator;
  aws.state.secrets.set(KUBECONFIG_SECRET, await readFile(demo.kubeconfig, 'utf8'));
  aws.state.secrets.set(
    WEBHOOK_SECRET,
    JSON.stringify({ url: receiver.url, signingSecret: 'a-signing-secret-of-32-characters!' }),
  );
  Object.assign(process.env, {
    ...serviceEnvironment(s3, aws),
    // As in Lambda: the role's session, whose end the function cannot see.
    AWS_SESSION_TOKEN: 'the-role-session-token',
    DOCKERSHIM_AUDIT_CONFIG: JSON.stringify({
      clusters: [{ name: 'onprem', type: 'kubeconfig', secretArn: KUBECONFIG_SECRET }],
      notify: { notify: 'always', webhookFormat: 'generic' },
    }),
    DOCKERSHIM_AUDIT_WEBHOOK_SECRET_ARN: WEBHOOK_SECRET,
  });
});

afterAll(async () => {
  process.env = previousEnv;
  await Promise.all([s3?.close(), aws?.close(), cluster?.close(), receiver?.close()]);
});

beforeEach(() => {
  logs = [];
});

describe('report links from the Lambda', () => {
  test("signed with the role's session: the message says the link may end within hours", async () => {
    const message = await run();
    expect(message.reportUrlExpiry).toBe('session');
    expect(new URL(message.reportUrl ?? '').searchParams.has('X-Amz-Security-Token')).toBe(true);
  });

  test('signed with the keys in the link signing secret: the week asked for, and the link opens', async () => {
    const keys = s3.connection().credentials;
    const message = await run(JSON.stringify(keys));
    expect(message.reportUrlExpiry).toBe('requested');
    const link = new URL(message.reportUrl ?? '');
    expect(link.searchParams.has('X-Amz-Security-Token')).toBe(false);
    expect(link.searchParams.get('X-Amz-Expires')).toBe('604800');
    expect((await fetch(link)).status).toBe(200);
    expect(logs.some((line) => JSON.parse(line).level === 'warn')).toBe(false);
    // The key is a secret of the run: no log line carries it.
    expect(logs.join('')).not.toContain(JSON.stringify(keys));
  });

  test('a secret that cannot be used: the role signs, a warning says why, the message says the link may end sooner', async () => {
    const message = await run('{"accessKeyId": "AKIDONLY"}');
    expect(message.reportUrlExpiry).toBe('session');
    const warning = logs.map((line) => JSON.parse(line)).find((entry) => entry.level === 'warn');
    expect(warning?.message).toBe(
      `report links are signed with the function's own credentials, not the keys in ${SIGNING_SECRET}: it does not hold {"accessKeyId": "...", "secretAccessKey": "..."}`,
    );
  });
});
