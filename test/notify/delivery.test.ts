import { inspect } from 'node:util';
import { SNSClient } from '@aws-sdk/client-sns';
import { afterEach, describe, expect, test } from 'vitest';
import { DEFAULT_DELIVERY_POLICY, type NotifySettings } from '../../lambda/config/notify-settings.ts';
import { backoffMs, type NotifyEvent } from '../../lambda/notify/http-delivery.ts';
import { describeOutcome, notifyRun } from '../../lambda/notify/notify-run.ts';
import type { DiffDocument } from '../../lambda/report/model.ts';
import { parseRetryAfter } from '../../lambda/retry-after.ts';
import { Secret } from '../../lambda/secret.ts';
import { documentedSignatureVerifier } from '../helpers/documented-signature.ts';
import { corpusRuns, FAST_DELIVERY, SIGNING_SECRET, webhookSettings } from '../helpers/notify-fixtures.ts';
import { type Receiver, type Reply, startReceiver } from '../helpers/receiver.ts';
import { type SnsServer, startSnsServer } from '../helpers/sns-server.ts';

const servers: Array<Receiver | SnsServer> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
async function receiver(reply: (index: number) => Reply, path?: string): Promise<Receiver> {
  const started = await startReceiver((_request, index) => reply(index), path);
  servers.push(started);
  return started;
}

describe('retries: 5xx and 429 are retried with backoff, other 4xx are not', () => {
  test('500 then 200: delivered on the second attempt, with the same idempotency key and a fresh signature', async () => {
    const { change } = await corpusRuns();
    const generic = await receiver((index) =>
      index === 0 ? { status: 500, body: 'try later' } : { status: 200 },
    );
    const verify = await documentedSignatureVerifier();
    const events: NotifyEvent[] = [];
    const outcome = await notifyRun(change, webhookSettings('generic', generic.url), {
      log: (e) => events.push(e),
    });
    expect(outcome.ok).toBe(true);
    expect(outcome.deliveries).toMatchObject([{ status: 'delivered', attempts: 2, httpStatus: 200 }]);
    expect(generic.requests).toHaveLength(2);
    const [first, second] = generic.requests;
    expect(first?.headers['idempotency-key']).toBe(`dockershim-audit:${change.runId}`);
    expect(second?.headers['idempotency-key']).toBe(first?.headers['idempotency-key']);
    for (const request of generic.requests)
      expect(verify(SIGNING_SECRET, request.headers, request.body)).toBe(true);
    expect(events.filter((event) => event.level === 'warn').map((event) => event.message)).toEqual([
      expect.stringMatching(/^attempt 1 of 3: HTTP 500: try later; retrying in \d+ ms$/),
    ]);
  });

  test('429 with Retry-After: the next attempt waits as long as the receiver asked', async () => {
    const { change } = await corpusRuns();
    const slack = await receiver((index) =>
      index === 0 ? { status: 429, headers: { 'Retry-After': '1' }, body: 'rate_limited' } : { status: 200 },
    );
    const outcome = await notifyRun(change, webhookSettings('slack', slack.url));
    expect(outcome.deliveries).toMatchObject([{ status: 'delivered', attempts: 2 }]);
    const [first, second] = slack.requests;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  test('429 asking for longer than allowed fails at once instead of stalling the run', async () => {
    const { change } = await corpusRuns();
    const slack = await receiver(() => ({ status: 429, headers: { 'Retry-After': '3600' } }));
    const outcome = await notifyRun(change, webhookSettings('slack', slack.url));
    expect(outcome.ok).toBe(false);
    expect(outcome.deliveries).toMatchObject([
      { status: 'failed', attempts: 1, httpStatus: 429, failure: { code: 'NOTIFY_RATE_LIMITED' } },
    ]);
    expect(slack.requests).toHaveLength(1);
  });

  test('a receiver that hangs times out on every attempt and the failure says so', async () => {
    const { change } = await corpusRuns();
    const teams = await receiver(() => 'hang');
    const started = performance.now();
    const outcome = await notifyRun(change, {
      ...webhookSettings('teams', teams.url),
      delivery: { ...FAST_DELIVERY, timeoutMs: 150, maxAttempts: 2 },
    });
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(outcome.ok).toBe(false);
    expect(outcome.deliveries).toMatchObject([
      {
        status: 'failed',
        attempts: 2,
        failure: {
          code: 'NOTIFY_RETRIES_EXHAUSTED',
          message: 'no answer within 150 ms (gave up after 2 attempts)',
        },
      },
    ]);
    expect(teams.requests).toHaveLength(2);
  });

  test('400 is not retried, and the receiver’s explanation is in the failure', async () => {
    const { change } = await corpusRuns();
    const slack = await receiver(() => ({ status: 400, body: 'invalid_blocks' }));
    const outcome = await notifyRun(change, webhookSettings('slack', slack.url));
    expect(outcome.deliveries).toMatchObject([
      {
        status: 'failed',
        attempts: 1,
        httpStatus: 400,
        failure: { code: 'NOTIFY_REJECTED', message: 'HTTP 400: invalid_blocks' },
      },
    ]);
    expect(slack.requests).toHaveLength(1);
  });

  test('a receiver that keeps failing with 503 gets the configured number of attempts', async () => {
    const { change } = await corpusRuns();
    const slack = await receiver(() => ({ status: 503 }));
    const outcome = await notifyRun(change, webhookSettings('slack', slack.url));
    expect(outcome.deliveries).toMatchObject([
      { status: 'failed', attempts: 3, httpStatus: 503, failure: { code: 'NOTIFY_RETRIES_EXHAUSTED' } },
    ]);
    expect(slack.requests).toHaveLength(FAST_DELIVERY.maxAttempts);
  });

  test('a redirect is not followed: the body may be signed or private', async () => {
    const { change } = await corpusRuns();
    const elsewhere = await receiver(() => ({ status: 200 }));
    const generic = await receiver(() => ({ status: 307, headers: { Location: elsewhere.url } }));
    const outcome = await notifyRun(change, webhookSettings('generic', generic.url));
    expect(outcome.deliveries).toMatchObject([
      { status: 'failed', attempts: 1, failure: { code: 'NOTIFY_REDIRECTED' } },
    ]);
    expect(elsewhere.requests).toHaveLength(0);
  });

  test('nobody listening: retried, then reported with the network error', async () => {
    const { change } = await corpusRuns();
    const gone = await startReceiver();
    await gone.close();
    const outcome = await notifyRun(change, webhookSettings('slack', gone.url));
    expect(outcome.deliveries).toMatchObject([
      {
        status: 'failed',
        attempts: 3,
        failure: { code: 'NOTIFY_RETRIES_EXHAUSTED', message: expect.stringContaining('ECONNREFUSED') },
      },
    ]);
  });

  test('the time budget stops retries that would outlast it', async () => {
    const { change } = await corpusRuns();
    const slack = await receiver(() => ({ status: 502 }));
    const outcome = await notifyRun(change, {
      ...webhookSettings('slack', slack.url),
      delivery: { ...FAST_DELIVERY, maxAttempts: 10, backoffBaseMs: 400, backoffMaxMs: 400, deadlineMs: 500 },
    });
    expect(outcome.deliveries).toMatchObject([{ status: 'failed', failure: { code: 'NOTIFY_DEADLINE' } }]);
    expect(slack.requests.length).toBeLessThan(10);
  });
});

describe('the webhook URL and the signing secret never appear in results or logs', () => {
  const TOKEN = 'XyZsecretTOKEN0123456789';

  test('a receiver that echoes the request back: the URL’s path and the secret are redacted', async () => {
    const { change } = await corpusRuns();
    const generic = await startReceiver(
      (request) => ({
        status: 404,
        body: `no route ${request.path} for ${request.headers['x-signature-256']}`,
      }),
      `/services/T000/B000/${TOKEN}?sig=${TOKEN}`,
    );
    servers.push(generic);
    const events: NotifyEvent[] = [];
    const settings = webhookSettings('generic', generic.url);
    const outcome = await notifyRun(change, settings, { log: (event) => events.push(event) });
    expect(outcome.ok).toBe(false);
    const everything = JSON.stringify([
      outcome,
      events,
      describeOutcome(outcome),
      settings,
      inspect(settings),
    ]);
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(SIGNING_SECRET);
    expect(outcome.deliveries[0]?.target).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/…$/);
    expect(outcome.deliveries[0]?.failure?.message).toMatch(
      /^HTTP 404: no route \[redacted\] for sha256=[0-9a-f]{64}$/,
    );
  });

  test('a Secret shows [redacted] when printed, interpolated, inspected or serialised', () => {
    const secret = new Secret(TOKEN);
    expect(`${secret}`).toBe('[redacted]');
    expect(JSON.stringify({ secret })).toBe('{"secret":"[redacted]"}');
    expect(inspect({ secret })).toBe('{ secret: Secret([redacted]) }');
    expect(secret.reveal()).toBe(TOKEN);
  });
});

describe('e-mail through SNS', () => {
  const topicArn = 'arn:aws:sns:eu-west-1:123456789012:dockershim-audit';
  const settings: NotifySettings = {
    when: 'always',
    webhooks: [],
    email: { topicArn },
    delivery: FAST_DELIVERY,
  };
  const client = (server: SnsServer) =>
    new SNSClient({
      region: 'eu-west-1',
      endpoint: server.endpoint,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret-key' },
      maxAttempts: 3,
    });

  test('a refused Publish is a visible failure with the service’s reason', async () => {
    const { change } = await corpusRuns();
    const sns = await startSnsServer(() => ({
      status: 403,
      code: 'AuthorizationError',
      message: 'not authorized to publish',
    }));
    servers.push(sns);
    const outcome = await notifyRun(change, settings, { snsClient: client(sns) });
    expect(outcome.ok).toBe(false);
    expect(outcome.deliveries).toMatchObject([
      {
        channel: 'email',
        target: topicArn,
        status: 'failed',
        httpStatus: 403,
        failure: {
          code: 'NOTIFY_SNS_FAILED',
          message: 'SNS Publish failed: AuthorizationErrorException: not authorized to publish',
        },
      },
    ]);
  });

  test('a 500 from SNS is retried by the SDK and the e-mail goes out', async () => {
    const { change } = await corpusRuns();
    const sns = await startSnsServer((index) =>
      index === 0 ? { status: 500, code: 'InternalError', message: 'oops' } : undefined,
    );
    servers.push(sns);
    const outcome = await notifyRun(change, settings, { snsClient: client(sns) });
    expect(outcome.deliveries).toMatchObject([{ status: 'delivered', attempts: 2 }]);
    expect(sns.publishes).toHaveLength(1);
  });

  test('on a FIFO topic the run id deduplicates', async () => {
    const { change } = await corpusRuns();
    const sns = await startSnsServer();
    servers.push(sns);
    const fifo = { ...settings, email: { topicArn: `${topicArn}.fifo` } };
    await notifyRun(change, fifo, { snsClient: client(sns) });
    expect(sns.publishes[0]?.params).toMatchObject({
      MessageGroupId: 'dockershim-audit',
      MessageDeduplicationId: `dockershim-audit:${change.runId}`,
    });
  });
});

describe('notifyRun never throws past its caller', () => {
  test('a malformed diff comes back as a failed outcome, not an exception', async () => {
    const { change } = await corpusRuns();
    const slack = await receiver(() => ({ status: 200 }));
    const broken = { ...change, clusters: [{ name: 'x' }] } as unknown as DiffDocument;
    const outcome = await notifyRun(broken, webhookSettings('slack', slack.url));
    expect(outcome).toMatchObject({ sent: true, ok: false, failure: { code: 'NOTIFY_INTERNAL' } });
    expect(describeOutcome(outcome)[0]).toMatch(/^Notification FAILED: .* \[NOTIFY_INTERNAL\]\.$/);
  });
});

describe('settings built by hand, past the config checks', () => {
  test('an unparseable webhook URL is a failed outcome that does not repeat the URL', async () => {
    const { change } = await corpusRuns();
    const outcome = await notifyRun(change, {
      when: 'always',
      webhooks: [{ url: new Secret('hooks.slack.com/services/T0/B0/XXXXSECRETXXXX'), format: 'slack' }],
    });
    expect(outcome).toMatchObject({ ok: false, failure: { code: 'NOTIFY_INTERNAL' } });
    expect(JSON.stringify(outcome)).not.toContain('XXXXSECRETXXXX');
  });
});

describe('Retry-After and backoff', () => {
  const now = new Date('2026-11-22T03:00:00Z');

  test('Retry-After is read as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 03:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 02:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    // As Node's http client gives it for the Kubernetes API server: possibly repeated.
    expect(parseRetryAfter(['2', '9'], now)).toBe(2000);
    expect(parseRetryAfter(' 1.5 ', now)).toBe(1500);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
  });

  test('backoff doubles per attempt, stays between half and all of it, and is capped', () => {
    const policy = DEFAULT_DELIVERY_POLICY;
    expect([backoffMs(1, policy, 0), backoffMs(1, policy, 0.999)]).toEqual([500, 1000]);
    expect([backoffMs(3, policy, 0), backoffMs(3, policy, 0.999)]).toEqual([2000, 3998]);
    expect(backoffMs(10, policy, 0.999)).toBeLessThanOrEqual(policy.backoffMaxMs);
  });
});
