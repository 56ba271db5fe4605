import type { Report, SeverityCounts } from './model.ts';

/**
 * One run in the progress chart: how many nodes still ran Docker Engine and how many findings
 * counted, by severity. Taken from each stored run's own report.json, so every point is that
 * run's evidence, not a number carried forward.
 */
export interface ProgressPoint {
  runId: string;
  generatedAt: string;
  nodes: number;
  nodesOnDocker: number;
  bySeverity: SeverityCounts;
  clusters: number;
  /** Clusters that run could not read completely: its numbers may be low. */
  incompleteClusters: number;
}

/** The last runs, oldest first, this run last; and why some are missing. */
export interface ProgressHistory {
  points: ProgressPoint[];
  notes: string[];
}

export function progressPointOf(report: Pick<Report, 'runId' | 'generatedAt' | 'summary'>): ProgressPoint {
  const { summary } = report;
  return {
    runId: report.runId,
    generatedAt: report.generatedAt,
    nodes: summary.nodes.total,
    nodesOnDocker: summary.nodesOnDocker,
    bySeverity: { ...summary.bySeverity },
    clusters: summary.clusters.complete + summary.clusters.partial + summary.clusters.failed,
    incompleteClusters: summary.clusters.partial + summary.clusters.failed,
  };
}
