import { emptySeverityCounts } from '../rules/severity.ts';
import {
  type ClusterReport,
  type FleetSummary,
  insecureSourceNote,
  type Report,
  SCHEMA_VERSION,
  TOOL_NAME,
} from './model.ts';

export interface RunMetadata {
  runId: string;
  generatedAt: Date;
  toolVersion: string;
  rulesVersion: string;
  identity?: string;
  warnings?: string[];
}

export function assembleReport(clusters: ClusterReport[], run: RunMetadata): Report {
  const report: Report = {
    schemaVersion: SCHEMA_VERSION,
    runId: run.runId,
    generatedAt: run.generatedAt.toISOString(),
    tool: { name: TOOL_NAME, version: run.toolVersion, rulesVersion: run.rulesVersion },
    clusters,
    summary: fleetSummary(clusters),
    warnings: [...(run.warnings ?? []), ...clusterWarnings(clusters)],
  };
  if (run.identity !== undefined) report.identity = run.identity;
  return report;
}

/** What the reader must know about how clusters were read, beside the findings. */
function clusterWarnings(clusters: readonly ClusterReport[]): string[] {
  return clusters
    .filter((cluster) => cluster.source.type === 'kubernetes' && cluster.source.insecureSkipTlsVerify)
    .map((cluster) => insecureSourceNote(cluster.name));
}

export function fleetSummary(clusters: readonly ClusterReport[]): FleetSummary {
  const summary: FleetSummary = {
    bySeverity: emptySeverityCounts(),
    workloadsAffected: 0,
    nodesOnDocker: 0,
    exempted: 0,
    clusters: { complete: 0, partial: 0, failed: 0 },
    nodes: { total: 0, byRuntime: {} },
  };
  for (const cluster of clusters) {
    for (const [severity, count] of Object.entries(cluster.summary.bySeverity)) {
      summary.bySeverity[severity as keyof FleetSummary['bySeverity']] += count;
    }
    summary.workloadsAffected += cluster.summary.workloadsAffected;
    summary.nodesOnDocker += cluster.summary.nodesOnDocker;
    summary.exempted += cluster.summary.exempted;
    summary.clusters[cluster.status]++;
    for (const node of cluster.nodes) {
      summary.nodes.total++;
      summary.nodes.byRuntime[node.runtime] = (summary.nodes.byRuntime[node.runtime] ?? 0) + 1;
    }
  }
  return summary;
}
