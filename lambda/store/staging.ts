import { isRecord } from '../kube/objects.ts';
import type { ClusterReport } from '../report/model.ts';
import { StoreError } from './errors.ts';
import type { ReportStore } from './report-store.ts';
import { clusterSegment } from './run-history.ts';

/**
 * Fleet mode passes per-cluster results through the store, not through Step Functions'
 * state (which is limited to 256 KB): each cluster's audit writes its part under
 * `staging/<runId>/clusters/`, and the aggregate step reads them all back.
 */
export function stagedClusterKey(runId: string, cluster: string): string {
  return `staging/${runId}/clusters/${clusterSegment(cluster)}.json`;
}

export async function stageClusterReport(
  store: ReportStore,
  runId: string,
  report: ClusterReport,
): Promise<string> {
  const key = stagedClusterKey(runId, report.name);
  await store.put(key, JSON.stringify(report), 'application/json; charset=utf-8');
  return key;
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
