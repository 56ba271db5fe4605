import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DiffDocument } from '../../lambda/report/model.ts';
import type { S3Connection } from '../../lambda/store/s3-store.ts';
import { S3ReportStore } from '../../lambda/store/s3-store.ts';
import { slackText } from '../helpers/chat-rules.ts';
import { slackAndGeneric } from '../helpers/notify-fixtures.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { startTestS3, type TestS3 } from '../helpers/s3.ts';
import { scanManifests, socketAgent, writeSnapshot } from '../helpers/scans.ts';

/**
 * A presigned link dies with the credentials that signed it, whatever expiry it asked for. The
 * message states when it really stops working: the earlier of the two, or, for temporary
 * credentials whose end is not known (a Lambda role's session), that it may end sooner.
 */
const WEEK = 7 * 24 * 3600;
let s3: TestS3;
let input: string;
const receivers: Receiver[] = [];

beforeAll(async () => {
  s3 = await startTestS3();
  input = await writeSnapshot(await mkdtemp(join(tmpdir(), 'dsa-links-')), 'prod.json', [
    socketAgent('agent'),
  ]);
});
afterAll(async () => {
  await Promise.all([s3?.close(), ...receivers.map((receiver) => receiver.close())]);
});

/** One run into a store whose client signs with these credentials, announced to Slack and a generic receiver. */
async function runWith(prefix: string, credentials: S3Connection['credentials']) {
  const slack = await startReceiver();
  const generic = await startReceiver();
  receivers.push(slack, generic);
  const store = new S3ReportStore({ bucket: s3.bucket, prefix, client: s3.client({ credentials }) });
  const run = await scanManifests({ prod: [input] }, store, {
    linkExpiresInSeconds: WEEK,
    notify: slackAndGeneric(slack.url, generic.url, 'always'),
  });
  const posted = JSON.parse(generic.requests[0]?.body ?? '{}') as DiffDocument;
  return { run, slack: slackText(JSON.parse(slack.requests[0]?.body ?? '{}')), posted };
}

const base = () => s3.connection().credentials ?? { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

describe('the link in a message states when it really stops working', () => {
  test('credentials that expire in two hours: the link is signed for two hours and says so', async () => {
    const started = Date.now();
    const ends = new Date(started + 2 * 3600_000);
    const { run, slack, posted } = await runWith('short-session', {
      ...base(),
      sessionToken: 'a-session-token',
      expiration: ends,
    });

    const expires = Number(new URL(run.reportLink ?? '').searchParams.get('X-Amz-Expires'));
    expect(expires).toBeGreaterThan(2 * 3600 - 120);
    expect(expires).toBeLessThanOrEqual(2 * 3600);
    expect(run.reportLinkExpiry?.until).toBe('credentials');
    expect(Math.abs(Date.parse(run.reportLinkExpiry?.expiresAt ?? '') - ends.getTime())).toBeLessThan(
      120_000,
    );
    const when = `${(run.reportLinkExpiry?.expiresAt ?? '').slice(0, 16).replace('T', ' ')} UTC`;
    expect(slack).toContain(`The link works until ${when}, when the credentials that signed it expire.`);
    expect(posted).toMatchObject({
      reportUrl: run.reportLink,
      reportUrlExpiresAt: run.reportLinkExpiry?.expiresAt,
      reportUrlExpiry: 'credentials',
    });
    // And the link does open the report.
    expect((await fetch(run.reportLink ?? '')).status).toBe(200);
  });

  test('temporary credentials of unknown end (a Lambda role): a week at most, and the message says it may end sooner', async () => {
    const { run, slack } = await runWith('lambda-session', { ...base(), sessionToken: 'a-session-token' });
    expect(new URL(run.reportLink ?? '').searchParams.get('X-Amz-Expires')).toBe(String(WEEK));
    expect(run.reportLinkExpiry?.until).toBe('session');
    expect(slack).toMatch(
      /The link works until \d{4}-\d\d-\d\d \d\d:\d\d UTC at the latest: it was signed with temporary credentials and stops working when their session ends, which can be within hours\./,
    );
  });

  test('long-term keys: the week asked for, stated as such', async () => {
    const { run, slack } = await runWith('long-term', base());
    expect(run.reportLinkExpiry?.until).toBe('requested');
    const when = `${(run.reportLinkExpiry?.expiresAt ?? '').slice(0, 16).replace('T', ' ')} UTC`;
    expect(slack).toContain(`The link works until ${when}.`);
    expect(Date.parse(run.reportLinkExpiry?.expiresAt ?? '') - Date.now()).toBeGreaterThan(
      WEEK * 1000 - 120_000,
    );
  });
});
