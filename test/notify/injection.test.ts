import { SNSClient } from '@aws-sdk/client-sns';
import { afterEach, describe, expect, test } from 'vitest';
import { notifyRun } from '../../lambda/notify/notify-run.ts';
import type { DiffDocument } from '../../lambda/report/model.ts';
import {
  adaptiveCardViolations,
  cardMarkdownTexts,
  cardTextRuns,
  slackLinks,
  slackText,
  slackViolations,
} from '../helpers/chat-rules.ts';
import {
  FAST_DELIVERY,
  FORGED_LINE,
  INJECTION,
  injectionDiff,
  REPORT_URL,
  webhookSettings,
} from '../helpers/notify-fixtures.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { type SnsServer, startSnsServer } from '../helpers/sns-server.ts';

/**
 * Cluster, namespace, pod and container names, an env value, a node annotation and agent
 * config all carry mentions, links, Markdown and a forged line; the real engine turns them
 * into findings. No message may ping anyone, link anywhere but the report, or let them pass
 * for the tool's own words.
 */
const MENTIONS = ['<!channel>', '<!here>', '<@U123>', '<@U999>', '<http://evil.example|click here>'];

const servers: Array<Receiver | SnsServer> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function post(format: 'slack' | 'teams' | 'generic', diff: DiffDocument): Promise<string> {
  const receiver = await startReceiver();
  servers.push(receiver);
  const outcome = await notifyRun(diff, webhookSettings(format, receiver.url));
  expect(outcome.ok).toBe(true);
  expect(receiver.requests).toHaveLength(1);
  return receiver.requests[0]?.body ?? '';
}

describe('injection attempts through pod names, annotations, env values and config', () => {
  const diff = injectionDiff();

  test('the engine did put the attacker’s text into the findings (the attempts are real)', () => {
    const text = JSON.stringify(diff);
    for (const mention of MENTIONS.filter((m) => m !== '<!here>')) expect(text).toContain(mention);
    const evidence = diff.clusters.flatMap((cluster) => cluster.new.map((finding) => finding.evidence));
    expect(evidence.some((e) => e.env?.includes('<!channel>'))).toBe(true);
    expect(evidence.some((e) => e.annotation?.includes('<@U123>'))).toBe(true);
    expect(diff.clusters[1]?.status).toBe('failed');
  });

  test('Slack: every control character is escaped, so nothing pings, no link but the report’s, no forged line', async () => {
    const message: unknown = JSON.parse(await post('slack', diff));
    expect(slackViolations(message)).toEqual([]);
    const raw = JSON.stringify(message);
    for (const mention of MENTIONS) expect(raw).not.toContain(mention);
    expect(slackLinks(message)).toEqual([
      { url: REPORT_URL, label: 'Full report' },
      { url: REPORT_URL, label: 'Open the full report' },
    ]);
    // What the reader sees is what the cluster said, as text.
    const shown = slackText(message);
    expect(shown).toContain(
      '<!channel> <@U123> <http://evil.example|click here> [docs](http://evil.example) **urgent** &',
    );
    expect(shown).toContain('`eu <@U999>');
    // A name with line breaks stays on its finding's line.
    expect(
      shown.split('\n').some((line) => line.startsWith(FORGED_LINE) || line.startsWith(':white_check_mark:')),
    ).toBe(false);
    // Slack must not expand names into mentions or links on its own.
    const mrkdwn = raw.match(/"type":"mrkdwn","text":"(?:[^"\\]|\\.)*","verbatim":true/g) ?? [];
    expect(mrkdwn.length).toBe((raw.match(/"type":"mrkdwn"/g) ?? []).length);
  });

  test('Teams: cluster text only in TextRuns, never in Markdown; the card has the required fields', async () => {
    const message: unknown = JSON.parse(await post('teams', diff));
    expect(adaptiveCardViolations(message)).toEqual([]);
    const markdown = cardMarkdownTexts(message).join('\n');
    for (const needle of ['evil.example', '<!channel>', 'U123', 'urgent', 'prod', 'pod-']) {
      expect(markdown).not.toContain(needle);
    }
    const runs = cardTextRuns(message);
    expect(runs).toContain(`Pod default/pod-${INJECTION}, container c-<!channel> <@U123> <http://evil.e…`);
    expect(runs.filter((run) => run.includes(INJECTION)).length).toBeGreaterThan(3);
    expect(runs.some((run) => /[\n\r]/.test(run))).toBe(false);
  });

  test('generic: the diff document as it is; JSON carries the text, the receiver escapes for its own output', async () => {
    expect(JSON.parse(await post('generic', diff))).toEqual(diff);
  });

  test('e-mail: a plain-text line per finding; a name with line breaks cannot forge a line', async () => {
    const sns = await startSnsServer();
    servers.push(sns);
    const outcome = await notifyRun(
      diff,
      {
        when: 'changes',
        webhooks: [],
        email: { topicArn: 'arn:aws:sns:eu-west-1:123456789012:audit' },
        delivery: FAST_DELIVERY,
      },
      {
        snsClient: new SNSClient({
          region: 'eu-west-1',
          endpoint: sns.endpoint,
          credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
        }),
      },
    );
    expect(outcome.ok).toBe(true);
    const { Subject, Message } = sns.publishes[0]?.params ?? {};
    expect(Subject).toMatch(/^[\x20-\x7e]{1,99}$/);
    const lines = (Message ?? '').split('\n');
    expect(lines.filter((line) => line.startsWith('Full report:'))).toEqual([`Full report: ${REPORT_URL}`]);
    expect(lines.some((line) => line.includes(FORGED_LINE) && !line.startsWith('  - ['))).toBe(false);
  });
});
