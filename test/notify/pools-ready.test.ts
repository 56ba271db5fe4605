import { afterEach, describe, expect, test } from 'vitest';
import { ClusterAudit } from '../../lambda/audit/cluster-audit.ts';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import type { KubeObject } from '../../lambda/kube/objects.ts';
import { decideNotification } from '../../lambda/notify/decide.ts';
import { emailMessage } from '../../lambda/notify/email.ts';
import { buildNotice } from '../../lambda/notify/notice.ts';
import { notifyRun } from '../../lambda/notify/notify-run.ts';
import type { ClusterReport, ClusterStatus, DiffDocument } from '../../lambda/report/model.ts';
import {
  adaptiveCardViolations,
  cardTextRuns,
  slackLinks,
  slackText,
  slackViolations,
} from '../helpers/chat-rules.ts';
import { diffBetween } from '../helpers/diff.ts';
import { REPORT_URL, webhookSettings } from '../helpers/notify-fixtures.ts';
import { node, pod, podSpec } from '../helpers/objects.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { socketAgent } from '../helpers/scans.ts';

/** A pool label that tries to ping, link and format in every chat. */
const HOSTILE_POOL = '<!channel> [docs](http://evil.example) *urgent* <@U123>';

function read(objects: KubeObject[], status: ClusterStatus = 'complete'): ClusterReport {
  const run = new ClusterAudit('prod', defaultPolicy(new Date('2026-11-22T00:00:00Z')));
  for (const object of objects) run.add(object);
  return run.finish({ type: 'manifests', paths: ['x'] }, { status, reason: 'test' });
}
const poolNode = (name: string, runtime: string, pool: string): KubeObject => {
  const object = node(name, runtime, 'v1.23.4');
  return { ...object, metadata: { ...object.metadata, labels: { 'eks.amazonaws.com/nodegroup': pool } } };
};
const agentOn = (nodeName: string) =>
  pod(`agent-${nodeName}`, podSpec({ nodeName, hostPaths: { sock: '/var/run/docker.sock' } }), {
    namespace: 'monitoring',
    owner: { kind: 'DaemonSet', name: 'agent' },
  });

/** Night one: an agent on the Docker socket holds the pool back. Night two: it is gone. */
function nights(status: ClusterStatus = 'complete'): DiffDocument {
  const before = read([
    poolNode('n1', 'docker://20.10.7', HOSTILE_POOL),
    socketAgent('agent'),
    agentOn('n1'),
  ]);
  const after = read([poolNode('n1', 'docker://20.10.7', HOSTILE_POOL)], status);
  return diffBetween([before], [after], {
    runId: '20261123T030000Z-bbbbbb',
    previousRunId: '20261122T030000Z-aaaaaa',
    reportUrl: REPORT_URL,
  });
}

const servers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function post(format: 'slack' | 'teams' | 'generic', diff: DiffDocument): Promise<unknown> {
  const receiver = await startReceiver();
  servers.push(receiver);
  expect((await notifyRun(diff, webhookSettings(format, receiver.url))).ok).toBe(true);
  return JSON.parse(receiver.requests[0]?.body ?? 'null');
}

describe('a pool that became ready is announced, briefly and as text', () => {
  test('the diff names it, and a change of that kind alone is worth a message', () => {
    const diff = nights();
    expect(diff.clusters[0]?.poolsBecameReady).toEqual([HOSTILE_POOL]);
    expect(decideNotification(diff, 'changes').send).toBe(true);
    expect(buildNotice(diff).poolsBecameReady).toEqual([{ cluster: 'prod', pool: HOSTILE_POOL }]);
  });

  test('a partial reading announces no pool', () => {
    const diff = nights('partial');
    expect(diff.clusters[0]?.poolsBecameReady).toEqual([]);
    expect(buildNotice(diff).poolsBecameReady).toEqual([]);
  });

  test('Slack: a heading and the pool in a code span; nothing pings or links', async () => {
    const message = await post('slack', nights());
    expect(slackViolations(message)).toEqual([]);
    expect(slackLinks(message).map((link) => link.url)).toEqual([REPORT_URL, REPORT_URL]);
    const shown = slackText(message);
    expect(shown).toContain('*Node pools now ready to leave Docker Engine*');
    expect(shown).toContain('`<!channel> [docs](http://evil.example) *urgent* <@U123>` in `prod`');
    expect(JSON.stringify(message)).not.toContain('<!channel>');
  });

  test('Teams: the pool in a TextRun, where Markdown is not parsed', async () => {
    const message = await post('teams', nights());
    expect(adaptiveCardViolations(message)).toEqual([]);
    expect(cardTextRuns(message)).toContain(HOSTILE_POOL);
    expect(JSON.stringify(message)).toContain('Node pools now ready to leave Docker Engine');
  });

  test('generic webhooks get the diff itself; e-mail a line', async () => {
    const body = (await post('generic', nights())) as DiffDocument;
    expect(body.clusters[0]?.poolsBecameReady).toEqual([HOSTILE_POOL]);
    const mail = emailMessage(buildNotice(nights()));
    expect(mail.text).toContain(`Node pools now ready to leave Docker Engine`);
    expect(mail.text).toContain(`${HOSTILE_POOL} in prod`);
  });
});
