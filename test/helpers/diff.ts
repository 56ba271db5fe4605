import { defaultPolicy } from '../../lambda/audit/policy.ts';
import { auditCluster } from '../../lambda/audit/run-fleet.ts';
import { ManifestSource } from '../../lambda/collect/manifest-source.ts';
import { assembleReport } from '../../lambda/report/assemble.ts';
import { diffReports } from '../../lambda/report/diff.ts';
import type { ClusterReport, DiffDocument } from '../../lambda/report/model.ts';
import { RULES_VERSION, TOOL_VERSION } from '../../lambda/version.ts';
import { CORPUS_DIR } from './paths.ts';

/** Audits corpus folders (relative to test/corpus) as one cluster, in-process, with the real engine. */
export async function auditCorpus(cluster: string, folders: readonly string[]): Promise<ClusterReport> {
  const source = new ManifestSource(
    cluster,
    folders.map((folder) => `${CORPUS_DIR}${folder}`),
  );
  return auditCluster(source, defaultPolicy(new Date('2026-11-22T00:00:00Z')));
}

/**
 * The diff document the pipeline makes between two runs of these clusters, with the real
 * diffReports: notifiers are fed what a run would post, not a copy of its rules.
 */
export function diffBetween(
  previous: readonly ClusterReport[] | undefined,
  current: readonly ClusterReport[],
  run: { runId: string; previousRunId?: string; generatedAt?: string; reportUrl?: string },
): DiffDocument {
  const report = assembleReport([...current], {
    runId: run.runId,
    generatedAt: new Date(run.generatedAt ?? '2026-11-22T03:00:00.000Z'),
    toolVersion: TOOL_VERSION,
    rulesVersion: RULES_VERSION,
  });
  const previousRunId = run.previousRunId ?? '20261121T030000Z-000000';
  const diff = diffReports(report, {
    ...(previous && { runId: previousRunId }),
    clusters: new Map(
      (previous ?? []).map((cluster) => [cluster.name, { latest: { runId: previousRunId, cluster } }]),
    ),
    notes: previous === undefined ? ['First run: there is no previous run to compare with.'] : [],
  });
  return run.reportUrl === undefined ? diff : { ...diff, reportUrl: run.reportUrl };
}

/** Ids of the findings a diff says changed: new and resolved. */
export function changedIds(diff: DiffDocument): { new: string[]; resolved: string[] } {
  return {
    new: diff.clusters.flatMap((cluster) => cluster.new.map((finding) => finding.id)).sort(),
    resolved: diff.clusters.flatMap((cluster) => cluster.resolved.map((finding) => finding.id)).sort(),
  };
}
