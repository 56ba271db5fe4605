import { defaultPolicy } from '../../lambda/audit/policy.ts';
import { auditCluster } from '../../lambda/audit/run-fleet.ts';
import { ManifestSource } from '../../lambda/collect/manifest-source.ts';
import {
  type ClusterDiff,
  type ClusterReport,
  DIFF_EVENT,
  type DiffDocument,
  type Finding,
  type SeverityCounts,
} from '../../lambda/report/model.ts';
import { emptySeverityCounts } from '../../lambda/rules/severity.ts';
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
 * A diff made by hand for the notification tests, by finding id, as DESIGN.md describes it:
 * a cluster not read completely, now or last time, resolves nothing. The real diff belongs to
 * the reports issue; this one only feeds notifiers realistic documents.
 */
export function diffByHand(
  previous: readonly ClusterReport[] | undefined,
  current: readonly ClusterReport[],
  run: { runId: string; previousRunId?: string; generatedAt?: string; reportUrl?: string },
): DiffDocument {
  const clusters = current.map((cluster): ClusterDiff => {
    const before = previous?.find((candidate) => candidate.name === cluster.name);
    const beforeIds = new Map((before?.findings ?? []).map((finding) => [finding.id, finding]));
    const nowIds = new Set(cluster.findings.map((finding) => finding.id));
    const incomplete =
      cluster.status !== 'complete' || (before !== undefined && before.status !== 'complete');
    const gone = (before?.findings ?? []).filter((finding) => !nowIds.has(finding.id));
    const diff: ClusterDiff = {
      name: cluster.name,
      status: cluster.status,
      new: cluster.findings.filter((finding) => !beforeIds.has(finding.id)),
      resolved: incomplete ? [] : gone,
      unchanged: cluster.findings.filter((finding) => beforeIds.has(finding.id)).length,
      severityChanged: cluster.findings.flatMap((finding) => {
        const was = beforeIds.get(finding.id);
        return was && was.severity !== finding.severity ? [{ finding, from: was.severity }] : [];
      }),
      nodesLeftDocker: (before?.nodes ?? [])
        .filter((node) => node.dockerEngine)
        .filter((node) => cluster.nodes.some((now) => now.name === node.name && !now.dockerEngine))
        .map((node) => node.name),
    };
    if (before) diff.previousStatus = before.status;
    if (incomplete && gone.length > 0) {
      diff.resolvedWithheld = `${gone.length} findings of the previous run are missing, but the cluster was not read completely`;
    }
    return diff;
  });
  const all = (pick: (cluster: ClusterDiff) => Finding[]) => clusters.flatMap(pick);
  const document: DiffDocument = {
    event: DIFF_EVENT,
    runId: run.runId,
    generatedAt: run.generatedAt ?? '2026-11-22T03:00:00.000Z',
    baseline: previous === undefined,
    clusters,
    summary: {
      new: all((cluster) => cluster.new).length,
      resolved: all((cluster) => cluster.resolved).length,
      unchanged: clusters.reduce((sum, cluster) => sum + cluster.unchanged, 0),
      newBySeverity: countBySeverity(all((cluster) => cluster.new)),
      resolvedBySeverity: countBySeverity(all((cluster) => cluster.resolved)),
    },
    notes: previous === undefined ? ['First run: there is no previous run to compare with.'] : [],
  };
  if (run.previousRunId !== undefined) document.previousRunId = run.previousRunId;
  if (run.reportUrl !== undefined) document.reportUrl = run.reportUrl;
  return document;
}

function countBySeverity(findings: readonly Finding[]): SeverityCounts {
  const counts = emptySeverityCounts();
  for (const finding of findings) counts[finding.severity]++;
  return counts;
}

/** Ids of the findings a diff says changed: new and resolved. */
export function changedIds(diff: DiffDocument): { new: string[]; resolved: string[] } {
  return {
    new: diff.clusters.flatMap((cluster) => cluster.new.map((finding) => finding.id)).sort(),
    resolved: diff.clusters.flatMap((cluster) => cluster.resolved.map((finding) => finding.id)).sort(),
  };
}
