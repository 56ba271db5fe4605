import { isRecord } from '../kube/objects.ts';
import type { ClusterReport } from '../report/model.ts';
import { StoreError, WriteConflictError } from './errors.ts';
import type { ReportStore } from './report-store.ts';
import { clusterSegment, JSON_TYPE } from './run-history.ts';

/**
 * Fleet mode passes per-cluster results through a store, not through Step Functions' state
 * (which is limited to 256 KB): each cluster's audit writes its part under
 * `staging/<runId>/clusters/`, and the aggregate step reads them all back, then removes them.
 * That store is a bucket of its own without Object Lock (the evidence bucket would keep every
 * byte for the whole retention period, deleted or not).
 */
export function stagedClusterKey(runId: string, cluster: string): string {
  return `staging/${runId}/clusters/${clusterSegment(cluster)}.json`;
}

/**
 * Stages a cluster's result once: a retried or duplicated map item finds the first result there
 * and returns it, so the aggregate reads one result per cluster however often its item ran.
 */
export async function stageClusterReport(
  store: ReportStore,
  runId: string,
  report: ClusterReport,
): Promise<{ key: string; report: ClusterReport }> {
  const key = stagedClusterKey(runId, report.name);
  try {
    await store.put(key, JSON.stringify(report), JSON_TYPE, { ifNoneMatch: '*' });
    return { key, report };
  } catch (error) {
    if (!(error instanceof WriteConflictError)) throw error;
  }
  const first = await readStagedClusterReport(store, runId, report.name);
  if (first === undefined)
    throw new StoreError(`${store.location}/${key}`, 'was staged and then disappeared');
  return { key, report: first };
}

/** The staged result of a cluster, or undefined when its audit never wrote one. */
export async function readStagedClusterReport(
  store: ReportStore,
  runId: string,
  cluster: string,
): Promise<ClusterReport | undefined> {
  const key = stagedClusterKey(runId, cluster);
  const body = await store.get(key);
  if (body === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (error) {
    throw new StoreError(store.location, `staged result ${key} is not valid JSON`, { cause: error });
  }
  if (!isRecord(parsed) || parsed.name !== cluster || !Array.isArray(parsed.findings)) {
    throw new StoreError(store.location, `staged result ${key} is not a cluster report for ${cluster}`);
  }
  return parsed as unknown as ClusterReport;
}

/** Removes a run's staged results once the run is stored; removing them twice is harmless. */
export async function removeStagedRun(store: ReportStore, runId: string): Promise<void> {
  for (const key of await store.list(`staging/${runId}/`)) await store.delete(key);
}
