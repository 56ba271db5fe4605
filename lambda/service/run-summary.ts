import type { ScanResult } from '../pipeline.ts';
import type { ClusterStatus, SeverityCounts } from '../report/model.ts';

/**
 * What a run did, in one object: returned by the Lambda, logged as JSON, turned into metrics.
 * `failed` means storing failed: the evidence was not kept, or (with `stored` true) the run is
 * kept and chained but a cluster's pointer was not written; `incomplete` means it was kept but a
 * cluster could not be read completely or the notification failed.
 */
export interface RunSummary {
  runId: string;
  status: 'ok' | 'incomplete' | 'failed';
  durationMs: number;
  clusters: Record<ClusterStatus, number>;
  failedClusters: Array<{ name: string; reason: string }>;
  partialClusters: string[];
  findings: SeverityCounts;
  changes: { new: number; resolved: number; unchanged: number; baseline: boolean };
  stored: boolean;
  /** The run id was stored before (a retried or duplicated step): nothing was written or announced again. */
  alreadyStored?: true;
  storeError?: string;
  reportKey?: string;
  notification?: { sent: boolean; ok: boolean; reason: string; followUp?: string };
}

export function summariseRun(result: ScanResult, durationMs: number): RunSummary {
  const { report, diff } = result;
  const summary: RunSummary = {
    runId: report.runId,
    status: 'ok',
    durationMs,
    clusters: { ...report.summary.clusters },
    failedClusters: report.clusters
      .filter((cluster) => cluster.status === 'failed')
      .map((cluster) => ({ name: cluster.name, reason: cluster.errors.at(-1)?.message ?? 'unknown' })),
    partialClusters: report.clusters
      .filter((cluster) => cluster.status === 'partial')
      .map((cluster) => cluster.name),
    findings: { ...report.summary.bySeverity },
    changes: {
      new: diff.summary.new,
      resolved: diff.summary.resolved,
      unchanged: diff.summary.unchanged,
      baseline: diff.baseline,
    },
    stored: result.stored !== undefined,
  };
  if (result.alreadyStored) summary.alreadyStored = true;
  if (result.reportKey !== undefined) summary.reportKey = result.reportKey;
  if (result.storeError) summary.storeError = result.storeError.message;
  if (result.notification) {
    const { sent, ok, reason, followUp } = result.notification;
    summary.notification = { sent, ok, reason, ...(followUp !== undefined && { followUp }) };
  }
  const incomplete =
    summary.failedClusters.length > 0 ||
    summary.partialClusters.length > 0 ||
    result.notification?.ok === false;
  summary.status = result.storeError ? 'failed' : incomplete ? 'incomplete' : 'ok';
  return summary;
}
