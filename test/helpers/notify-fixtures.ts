import { ClusterAudit } from '../../lambda/audit/cluster-audit.ts';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import type { DeliveryPolicy, NotifySettings, WebhookFormat } from '../../lambda/config/notify-settings.ts';
import type { ClusterReport, DiffDocument } from '../../lambda/report/model.ts';
import { Secret } from '../../lambda/secret.ts';
import { auditCorpus, diffBetween } from './diff.ts';
import { configMap, daemonSet, node, pod, podSpec } from './objects.ts';

/** Short waits so failing receivers cost milliseconds, not the production backoff. */
export const FAST_DELIVERY: DeliveryPolicy = {
  timeoutMs: 300,
  maxAttempts: 3,
  backoffBaseMs: 10,
  backoffMaxMs: 40,
  maxRetryAfterMs: 5_000,
  deadlineMs: 10_000,
};

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
/** A presigned-URL-like link: the query string has `&`, which Slack needs escaped inside a link. */
export const REPORT_URL =
  'https://audit-bucket.s3.eu-west-1.amazonaws.com/runs/20261123T030000Z-bbbbbb/report.html?X-Amz-Expires=604800&X-Amz-Signature=abc123';

export function webhookSettings(
  format: WebhookFormat,
  url: string,
  when: NotifySettings['when'] = 'changes',
): NotifySettings {
  return {
    when,
    webhooks: [
      format === 'generic'
        ? { url: new Secret(url), format, signingSecret: new Secret(SIGNING_SECRET) }
        : { url: new Secret(url), format },
    ],
    delivery: FAST_DELIVERY,
  };
}

/** A Slack webhook and a signed generic webhook: two targets of one run. */
export function slackAndGeneric(
  slack: string,
  generic: string,
  when: NotifySettings['when'] = 'changes',
): NotifySettings {
  const settings = webhookSettings('slack', slack, when);
  return { ...settings, webhooks: [...settings.webhooks, ...webhookSettings('generic', generic).webhooks] };
}

export interface CorpusRuns {
  first: ClusterReport[];
  second: ClusterReport[];
  /** The first run: nothing to compare with. */
  baseline: DiffDocument;
  /** The second run against the first: prod lost SignalFx and Argo, gained cAdvisor, Jupyter and New Relic; staging is unchanged. */
  change: DiffDocument;
  /** The second run against itself: nothing changed. */
  noChange: DiffDocument;
}

let runs: Promise<CorpusRuns> | undefined;

/** Two audits of real vendor manifests with a change between them, audited once per test file. */
export function corpusRuns(): Promise<CorpusRuns> {
  runs ??= (async () => {
    const staging = await auditCorpus('staging', ['fluentd', 'snapshots']);
    const first = [await auditCorpus('prod', ['falco', 'signalfx', 'argo-workflows']), staging];
    const second = [
      await auditCorpus('prod', ['falco', 'cadvisor', 'jupyter-enterprise-gateway', 'newrelic']),
      staging,
    ];
    return {
      first,
      second,
      baseline: diffBetween(undefined, first, { runId: '20261122T030000Z-aaaaaa', reportUrl: REPORT_URL }),
      change: diffBetween(first, second, {
        runId: '20261123T030000Z-bbbbbb',
        previousRunId: '20261122T030000Z-aaaaaa',
        generatedAt: '2026-11-23T03:00:00.000Z',
        reportUrl: REPORT_URL,
      }),
      noChange: diffBetween(second, second, {
        runId: '20261124T030000Z-cccccc',
        previousRunId: '20261123T030000Z-bbbbbb',
        reportUrl: REPORT_URL,
      }),
    };
  })();
  return runs;
}

/** What an attacker who controls workloads or nodes can put in front of the notifier. */
export const INJECTION =
  '<!channel> <@U123> <http://evil.example|click here> [docs](http://evil.example) **urgent** & `x`';
/** A name with a line break, trying to pass for a line the tool wrote. */
export const FORGED_LINE = 'Full report: http://evil.example/phish';

/**
 * A cluster whose names, namespaces, container names, env values, node annotations and agent
 * config all carry injection attempts, audited by the real engine; the diff has them all as new.
 */
export function injectionDiff(): DiffDocument {
  const clusterName = `prod ${INJECTION}`;
  const run = new ClusterAudit(clusterName, defaultPolicy(new Date('2026-11-22T00:00:00Z')));
  run.add(
    daemonSet(
      'agent',
      podSpec({
        hostPaths: { run: '/var/run' },
        containers: [
          {
            name: 'agent',
            mounts: [{ volume: 'run', at: '/host/run' }],
            env: { DOCKER_HOST: `unix:///host/run/docker.sock ${INJECTION}` },
          },
        ],
      }),
      `ns-${INJECTION}`,
    ),
  );
  run.add(
    pod(
      `pod-${INJECTION}`,
      podSpec({
        hostPaths: { sock: '/var/run/docker.sock' },
        containers: [{ name: `c-${INJECTION}`, mounts: [{ volume: 'sock', at: '/var/run/docker.sock' }] }],
      }),
    ),
  );
  run.add(
    pod(
      `pod-b\n${FORGED_LINE}\r\n:white_check_mark: *Resolved*`,
      podSpec({
        hostPaths: { sock: '/var/run/docker.sock' },
        containers: [{ name: 'c', mounts: [{ volume: 'sock', at: '/var/run/docker.sock' }] }],
      }),
    ),
  );
  run.add(node('node-1', 'containerd://1.7.0', 'v1.29.0', `unix:///var/run/dockershim.sock ${INJECTION}`));
  run.add(
    configMap('agent-config', {
      'config.yaml': `docker:\n  endpoint: unix:///var/run/docker.sock ${INJECTION}\n`,
    }),
  );
  const report = run.finish({ type: 'manifests', paths: ['injection'] }, { status: 'complete' });
  const previous: ClusterReport = { ...report, findings: [], workloads: [], nodes: [] };
  // A second cluster, named by an attacker too, that could not be read this time.
  const unread = new ClusterAudit(`eu <@U999> ${INJECTION}`, defaultPolicy(new Date('2026-11-22T00:00:00Z')));
  const failed = unread.finish(
    { type: 'manifests', paths: ['gone'] },
    { status: 'failed', reason: '<!here>' },
  );
  return diffBetween([previous, { ...failed, status: 'complete' }], [report, failed], {
    runId: '20261125T030000Z-dddddd',
    previousRunId: '20261124T030000Z-cccccc',
    reportUrl: REPORT_URL,
  });
}
