import { describe, expect, test } from 'vitest';
import { ClusterAudit } from '../../lambda/audit/cluster-audit.ts';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import { emailMessage } from '../../lambda/notify/email.ts';
import { buildNotice } from '../../lambda/notify/notice.ts';
import { SLACK_LIMITS, SLACK_LIST_CAPS, slackMessage } from '../../lambda/notify/slack.ts';
import { TEAMS_MAX_BYTES, teamsMessage } from '../../lambda/notify/teams.ts';
import type { ClusterReport, DiffDocument } from '../../lambda/report/model.ts';
import { severityRank } from '../../lambda/rules/severity.ts';
import {
  adaptiveCardViolations,
  cardTextRuns,
  slackLinks,
  slackText,
  slackViolations,
} from '../helpers/chat-rules.ts';
import { auditCorpus, diffBetween } from '../helpers/diff.ts';
import { REPORT_URL } from '../helpers/notify-fixtures.ts';
import { daemonSet, podSpec } from '../helpers/objects.ts';

const ALL_VENDORS = [
  'aqua',
  'argo-workflows',
  'aws-cloudwatch',
  'cadvisor',
  'ci-dind',
  'datadog',
  'dynatrace',
  'falco',
  'filebeat',
  'fluent-bit',
  'fluentd',
  'instana',
  'jupyter-enterprise-gateway',
  'newrelic',
  'node-exporter',
  'nvidia-gpu-operator',
  'signalfx',
  'snapshots',
  'twistlock-prisma',
  'weave-scope',
];
const FINDING_ID = /DS\d{3}-[0-9a-f]{16}/g;

let fleet: Promise<DiffDocument> | undefined;
/** The first run over seven clusters with every vendor's manifests: hundreds of findings. */
function fleetBaseline(): Promise<DiffDocument> {
  fleet ??= (async () => {
    const reports: ClusterReport[] = [];
    for (let i = 1; i <= 7; i++) reports.push(await auditCorpus(`cluster-${i}`, ALL_VENDORS));
    return diffBetween(undefined, reports, { runId: 'big', reportUrl: REPORT_URL });
  })();
  return fleet;
}

describe('a fleet too big for one message: the most important first, "and N more" with the link', () => {
  test('Slack: 50 blocks at most, sections within 3000, the top 20 by severity, the rest counted', async () => {
    const diff = await fleetBaseline();
    const total = diff.summary.new;
    expect(total).toBeGreaterThan(400);
    const message = slackMessage(buildNotice(diff));
    expect(slackViolations(message)).toEqual([]);
    const text = slackText(message);
    const shown = new Set(text.match(FINDING_ID));
    expect(shown.size).toBe(SLACK_LIST_CAPS.newFindings);
    const findings = diff.clusters.flatMap((cluster) => cluster.new);
    const rank = (shownOrNot: boolean) =>
      findings.filter((f) => shown.has(f.id) === shownOrNot).map((f) => severityRank(f.severity));
    expect(Math.min(...rank(true))).toBeGreaterThanOrEqual(Math.max(...rank(false)));
    expect(text).toContain(
      `…and ${total - SLACK_LIST_CAPS.newFindings} more open findings: see the full report (link below)`,
    );
    expect(slackLinks(message).map((link) => link.label)).toContain('Open the full report');
  });

  test('Teams: the card stays under the size limit and says how many more there are', async () => {
    const diff = await fleetBaseline();
    const message = teamsMessage(buildNotice(diff));
    expect(adaptiveCardViolations(message)).toEqual([]);
    expect(Buffer.byteLength(JSON.stringify(message))).toBeLessThanOrEqual(TEAMS_MAX_BYTES);
    const more = message.attachments[0]?.content.body.find(
      (element) => element.type === 'TextBlock' && element.text.startsWith('…and '),
    );
    expect(more).toMatchObject({
      text: expect.stringMatching(/^…and \d+ more open findings: see the full report \(button below\)\.$/),
    });
  });

  test('e-mail: up to 50 per list, then the count', async () => {
    const diff = await fleetBaseline();
    const { text } = emailMessage(buildNotice(diff));
    expect(new Set(text.match(FINDING_ID)).size).toBe(50);
    expect(text).toContain(
      `  ... and ${diff.summary.new - 50} more open findings: see the full report (link above).`,
    );
  });
});

describe('values built to blow the limits', () => {
  /** 60 workloads whose names and env values are long and full of characters that grow when escaped. */
  function hugeValues(): ClusterReport {
    const run = new ClusterAudit(`c${'&'.repeat(500)}`, defaultPolicy(new Date('2026-11-22T00:00:00Z')));
    for (let i = 0; i < 60; i++) {
      run.add(
        daemonSet(
          `agent-${i}-${'<&>'.repeat(80)}`,
          podSpec({
            hostPaths: { run: '/var/run' },
            containers: [
              {
                name: `c-${'&'.repeat(300)}`,
                mounts: [{ volume: 'run', at: '/host/run' }],
                env: { DOCKER_HOST: `unix:///host/run/docker.sock ${'<&>'.repeat(2000)}` },
              },
            ],
          }),
        ),
      );
    }
    return run.finish({ type: 'manifests', paths: ['huge'] }, { status: 'complete' });
  }

  test('Slack: escaping that grows every character fivefold still fits every block', () => {
    const report = hugeValues();
    const diff = diffBetween([{ ...report, findings: [] }], [report], { runId: 'r', reportUrl: REPORT_URL });
    const message = slackMessage(buildNotice(diff));
    expect(slackViolations(message)).toEqual([]);
    for (const block of message.blocks) {
      if (block.type === 'section')
        expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    }
    expect(slackText(message)).toMatch(/…and \d+ more new findings/);
  });

  test('Teams: the card shrinks its lists and values until it fits', () => {
    const report = hugeValues();
    const diff = diffBetween([{ ...report, findings: [] }], [report], { runId: 'r', reportUrl: REPORT_URL });
    const message = teamsMessage(buildNotice(diff));
    expect(adaptiveCardViolations(message)).toEqual([]);
    expect(Buffer.byteLength(JSON.stringify(message))).toBeLessThanOrEqual(TEAMS_MAX_BYTES);
    expect(Math.max(...cardTextRuns(message).map((run) => run.length))).toBeLessThanOrEqual(220);
  });

  test('forty clusters that could not be read: ten named, the rest counted', () => {
    const failed = Array.from({ length: 40 }, (_, i) =>
      new ClusterAudit(`cluster-${i}`, defaultPolicy()).finish(
        { type: 'manifests', paths: [] },
        { status: 'failed', reason: 'unreachable' },
      ),
    );
    const diff = diffBetween(
      failed.map((cluster) => ({ ...cluster, status: 'complete' as const })),
      failed,
      { runId: 'r', reportUrl: REPORT_URL },
    );
    const message = slackMessage(buildNotice(diff));
    expect(slackViolations(message)).toEqual([]);
    const text = slackText(message);
    expect(text).toContain('Clusters that could not be read completely');
    expect(text.match(/\*failed\* \(was complete\)/g)).toHaveLength(SLACK_LIST_CAPS.clusters);
    expect(text).toContain('…and 30 more clusters: see the full report (link below)');
  });
});

describe('the report link', () => {
  test('a link too long for a Slack section is left out, and the message says where the report is', async () => {
    const report = await auditCorpus('prod', ['falco']);
    const long = `https://bucket.s3.amazonaws.com/report.html?X-Amz-Security-Token=${'a'.repeat(3500)}`;
    const message = slackMessage(
      buildNotice(diffBetween(undefined, [report], { runId: 'r', reportUrl: long })),
    );
    expect(slackViolations(message)).toEqual([]);
    expect(slackLinks(message).filter((link) => link.label === 'Open the full report')).toEqual([]);
    expect(slackText(message)).toContain('The link to the full report is too long for Slack');
  });

  test('only http and https links are offered; a local path is not a link a chat client can open', async () => {
    const report = await auditCorpus('prod', ['falco']);
    const notice = buildNotice(
      diffBetween(undefined, [report], { runId: 'r', reportUrl: 'javascript:alert(1)' }),
    );
    expect(notice.reportUrl).toBeUndefined();
    expect(slackLinks(slackMessage(notice))).toEqual([]);
    expect(teamsMessage(notice).attachments[0]?.content.actions).toEqual([]);
    expect(slackText(slackMessage(notice))).toContain('The full report is in the report store.');
  });
});
