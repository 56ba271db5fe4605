import type { RunSummary } from './run-summary.ts';

export const METRICS_NAMESPACE = 'DockershimAudit';

/**
 * The run summary as a CloudWatch Embedded Metric Format record: logging it is enough for
 * CloudWatch to extract the metrics the stack's alarms watch (no PutMetricData permission).
 */
export function metricsRecord(summary: RunSummary, at: Date): Record<string, unknown> {
  const metrics: Record<string, number> = {
    RunFailed: summary.status === 'failed' ? 1 : 0,
    ClustersFailed: summary.clusters.failed,
    ClustersPartial: summary.clusters.partial,
    FindingsCritical: summary.findings.critical,
    FindingsHigh: summary.findings.high,
    NotificationFailed: summary.notification?.ok === false ? 1 : 0,
  };
  return {
    _aws: {
      Timestamp: at.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [[]],
          Metrics: Object.keys(metrics).map((name) => ({ Name: name, Unit: 'Count' })),
        },
      ],
    },
    ...metrics,
    message: 'run summary',
    summary,
  };
}
