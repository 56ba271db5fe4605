import { SNSClient } from '@aws-sdk/client-sns';
import { afterEach, describe, expect, test } from 'vitest';
import type { NotifySettings } from '../../lambda/config/notify-settings.ts';
import { emailMessage } from '../../lambda/notify/email.ts';
import { buildNotice } from '../../lambda/notify/notice.ts';
import { describeOutcome, notifyRun } from '../../lambda/notify/notify-run.ts';
import {
  adaptiveCardViolations,
  cardTextRuns,
  slackLinks,
  slackText,
  slackViolations,
} from '../helpers/chat-rules.ts';
import { changedIds } from '../helpers/diff.ts';
import { documentedSignatureVerifier } from '../helpers/documented-signature.ts';
import {
  corpusRuns,
  FAST_DELIVERY,
  REPORT_URL,
  SIGNING_SECRET,
  webhookSettings,
} from '../helpers/notify-fixtures.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { type SnsServer, startSnsServer } from '../helpers/sns-server.ts';

const FINDING_ID = /DS\d{3}-[0-9a-f]{16}/g;
const idsIn = (text: string) => [...new Set(text.match(FINDING_ID) ?? [])].sort();
const allChanged = (ids: { new: string[]; resolved: string[] }) => [...ids.new, ...ids.resolved].sort();

const servers: Array<Receiver | SnsServer> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const started = await startReceiver(...args);
  servers.push(started);
  return started;
}

describe('two runs with a change: each format posts one message with exactly the changed findings', () => {
  test('Slack: one Block Kit message within Slack limits, naming every new and resolved finding and linking the report', async () => {
    // Prepare
    const { change } = await corpusRuns();
    const slack = await receiver();
    // Act
    const outcome = await notifyRun(change, webhookSettings('slack', slack.url));
    // Assess
    expect(outcome).toMatchObject({ sent: true, ok: true });
    expect(outcome.deliveries).toMatchObject([
      { channel: 'slack', status: 'delivered', attempts: 1, httpStatus: 200 },
    ]);
    expect(slack.requests).toHaveLength(1);
    const message: unknown = JSON.parse(slack.requests[0]?.body ?? '');
    expect(slackViolations(message)).toEqual([]);
    expect(idsIn(slackText(message))).toEqual(allChanged(changedIds(change)));
    expect(slackLinks(message).map((link) => link.url)).toContain(REPORT_URL);
    expect(slackText(message)).toContain('New: 7 (3 high, 4 medium)');
    expect(slack.requests[0]?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(slack.requests[0]?.headers['idempotency-key']).toBe(`dockershim-audit:${change.runId}`);
  });

  test('Teams: one Adaptive Card with the required fields, naming every new and resolved finding, with the report button', async () => {
    const { change } = await corpusRuns();
    const teams = await receiver(() => ({ status: 202 }));
    const outcome = await notifyRun(change, webhookSettings('teams', teams.url));
    expect(outcome).toMatchObject({ sent: true, ok: true });
    expect(teams.requests).toHaveLength(1);
    const message = JSON.parse(teams.requests[0]?.body ?? '');
    expect(adaptiveCardViolations(message)).toEqual([]);
    expect(idsIn(cardTextRuns(message).join('\n'))).toEqual(allChanged(changedIds(change)));
    expect(message.attachments[0].content.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Open the full report', url: REPORT_URL },
    ]);
  });

  test('generic: the diff document itself, signed, and the signature checks out with the code the docs give', async () => {
    const { change } = await corpusRuns();
    const generic = await receiver();
    const verify = await documentedSignatureVerifier();
    const outcome = await notifyRun(change, webhookSettings('generic', generic.url));
    expect(outcome).toMatchObject({ sent: true, ok: true });
    expect(generic.requests).toHaveLength(1);
    const request = generic.requests[0];
    if (!request) throw new Error('no request');
    expect(verify(SIGNING_SECRET, request.headers, request.body)).toBe(true);
    expect(request.headers['x-dockershim-audit-event']).toBe('dockershim-audit.diff');
    const body = JSON.parse(request.body);
    expect(body).toEqual(change);
    expect(changedIds(body)).toEqual(changedIds(change));
    // A different secret, a changed body or an old timestamp must not verify.
    expect(verify('another-secret-0123456789', request.headers, request.body)).toBe(false);
    expect(verify(SIGNING_SECRET, request.headers, request.body.replace('"prod"', '"prod2"'))).toBe(false);
    expect(verify(SIGNING_SECRET, request.headers, request.body, -1)).toBe(false);
  });

  test('e-mail: one SNS Publish with an ASCII subject and a plain-text summary naming every changed finding and the link', async () => {
    const { change } = await corpusRuns();
    const sns = await startSnsServer();
    servers.push(sns);
    const settings: NotifySettings = {
      when: 'changes',
      webhooks: [],
      email: { topicArn: 'arn:aws:sns:eu-west-1:123456789012:dockershim-audit' },
      delivery: FAST_DELIVERY,
    };
    const outcome = await notifyRun(change, settings, { snsClient: snsClientFor(sns) });
    expect(outcome).toMatchObject({ sent: true, ok: true });
    expect(outcome.deliveries).toMatchObject([{ channel: 'email', status: 'delivered', attempts: 1 }]);
    expect(sns.publishes).toHaveLength(1);
    const { params, authorization } = sns.publishes[0] ?? {
      params: {} as Record<string, string>,
      authorization: '',
    };
    expect(authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/sns\/aws4_request/,
    );
    expect(params.TopicArn).toBe('arn:aws:sns:eu-west-1:123456789012:dockershim-audit');
    expect(params.Subject).toBe('dockershim-audit: 7 new, 7 resolved');
    expect(params.Subject).toMatch(/^[\x20-\x7e]{1,99}$/);
    expect(idsIn(params.Message ?? '')).toEqual(allChanged(changedIds(change)));
    expect(params.Message).toContain(`Full report: ${REPORT_URL}`);
    expect(params.Message).toContain(', 2 clusters, ');
    const oneCluster = emailMessage(buildNotice({ ...change, clusters: change.clusters.slice(0, 1) }));
    expect(oneCluster.text).toContain(', 1 cluster, ');
  });

  test('several targets at once: each gets its one message', async () => {
    const { change } = await corpusRuns();
    const [slack, generic] = [await receiver(), await receiver()];
    const settings = webhookSettings('slack', slack.url);
    const outcome = await notifyRun(change, {
      ...settings,
      webhooks: [...settings.webhooks, ...webhookSettings('generic', generic.url).webhooks],
    });
    expect(outcome.deliveries.map((delivery) => [delivery.channel, delivery.status])).toEqual([
      ['slack', 'delivered'],
      ['generic', 'delivered'],
    ]);
    expect([slack.requests.length, generic.requests.length]).toEqual([1, 1]);
  });
});

describe('when: changes (default), always, never; the first run sends a baseline summary', () => {
  test('the first run posts a baseline summary of what is open, even with notify: changes', async () => {
    const { baseline, first } = await corpusRuns();
    const slack = await receiver();
    const outcome = await notifyRun(baseline, webhookSettings('slack', slack.url, 'changes'));
    expect(outcome).toMatchObject({ sent: true, ok: true, reason: 'first run: baseline summary' });
    const message = JSON.parse(slack.requests[0]?.body ?? '');
    expect(slackViolations(message)).toEqual([]);
    expect(message.blocks[0].text.text).toBe(
      `dockershim-audit baseline: ${baseline.summary.new} open findings`,
    );
    expect(slackText(message)).toContain('Open findings, most important first');
    expect(idsIn(slackText(message))).toEqual(
      first.flatMap((cluster) => cluster.findings.map((f) => f.id)).sort(),
    );
  });

  test('a run without changes posts nothing with notify: changes, and says why', async () => {
    const { noChange } = await corpusRuns();
    const slack = await receiver();
    const outcome = await notifyRun(noChange, webhookSettings('slack', slack.url, 'changes'));
    expect(outcome).toEqual({
      sent: false,
      ok: true,
      deliveries: [],
      reason: 'no changes since 20261123T030000Z-bbbbbb (notify: changes)',
    });
    expect(slack.requests).toHaveLength(0);
    expect(describeOutcome(outcome)).toEqual([
      'Notification: not sent (no changes since 20261123T030000Z-bbbbbb (notify: changes)).',
    ]);
  });

  test('notify: always posts a run without changes', async () => {
    const { noChange } = await corpusRuns();
    const slack = await receiver();
    const outcome = await notifyRun(noChange, webhookSettings('slack', slack.url, 'always'));
    expect(outcome).toMatchObject({ sent: true, ok: true });
    const message = JSON.parse(slack.requests[0]?.body ?? '');
    expect(message.blocks[0].text.text).toBe('dockershim-audit: no new or resolved findings');
    expect(idsIn(slackText(message))).toEqual([]);
  });

  test('notify: never posts nothing, even with changes', async () => {
    const { change } = await corpusRuns();
    const slack = await receiver();
    const outcome = await notifyRun(change, webhookSettings('slack', slack.url, 'never'));
    expect(outcome).toMatchObject({ sent: false, ok: true, reason: 'notifications are off (notify: never)' });
    expect(slack.requests).toHaveLength(0);
  });

  test('a cluster that could not be read counts as a change, resolves nothing, and is named in the message', async () => {
    const { second } = await corpusRuns();
    const { diffBetween } = await import('../helpers/diff.ts');
    const [prod, staging] = second;
    if (!prod || !staging) throw new Error('fixture');
    const partial = { ...staging, status: 'partial' as const, findings: staging.findings.slice(0, 2) };
    const diff = diffBetween(second, [prod, partial], {
      runId: 'r3',
      previousRunId: 'r2',
      reportUrl: REPORT_URL,
    });
    expect(diff.clusters[1]?.resolved).toEqual([]);
    const slack = await receiver();
    const outcome = await notifyRun(diff, webhookSettings('slack', slack.url, 'changes'));
    expect(outcome).toMatchObject({ sent: true, ok: true });
    const text = slackText(JSON.parse(slack.requests[0]?.body ?? ''));
    expect(text).toContain('Clusters that could not be read completely');
    expect(text).toContain('`staging`: *partial* (was complete)');
  });

  test('with nothing configured, nothing is sent and the outcome says so', async () => {
    const { change } = await corpusRuns();
    expect(await notifyRun(change, { when: 'always', webhooks: [] })).toEqual({
      sent: false,
      ok: true,
      deliveries: [],
      reason: 'no webhook or e-mail topic is configured',
    });
  });
});

function snsClientFor(server: SnsServer): SNSClient {
  return new SNSClient({
    region: 'eu-west-1',
    endpoint: server.endpoint,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret-key' },
    maxAttempts: 3,
  });
}
