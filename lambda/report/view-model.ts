import { SEVERITIES } from '../rules/severity.ts';
import { type ChangesView, changesView } from './changes-view.ts';
import { type ClusterView, clusterView } from './cluster-view.ts';
import { type MigrationView, migrationView } from './migration-view.ts';
import type { ClusterStatus, DiffDocument, ManifestLink, Report } from './model.ts';
import { type NodesView, nodesView } from './nodes-view.ts';
import type { ProgressHistory } from './progress.ts';
import { type ProgressView, progressView } from './progress-view.ts';
import { type EvidenceView, type RunRow, runRows, timeLabel } from './run-view.ts';
import {
  type HeadlineView,
  headline,
  type SeverityBarSegment,
  type SeverityView,
  severityBar,
  severityViews,
} from './summary-view.ts';

/**
 * What the templates show, derived from report.json and diff.json and nothing else: groupings,
 * labels, counts and the geometry of the pictures, so that templates only lay things out.
 * Markdown gets this same view with every string escaped for Markdown.
 */
export interface ReportView {
  report: Report;
  title: string;
  generatedLabel: string;
  headline: HeadlineView;
  severities: SeverityView[];
  findingsTotal: number;
  severityBar: SeverityBarSegment[];
  nodes: NodesView;
  clusterStatus: Array<{ status: ClusterStatus; count: number }>;
  changes: ChangesView;
  clusters: ClusterView[];
  run: RunRow[];
  evidence: EvidenceView;
  /** The migration section (migration-view.ts). */
  migration: MigrationView;
  /** The progress chart (progress-view.ts). */
  progress: ProgressView;
}

export interface ViewInput {
  diff?: DiffDocument;
  /** SHA-256 of the artifacts rendered before this one (report.json, diff.json). */
  artifactHashes?: Array<{ name: string; sha256: string }>;
  previousManifest?: ManifestLink;
  /** The last runs' numbers; without them there is no progress chart. */
  progress?: ProgressHistory;
}

export function buildReportView(report: Report, input: ViewInput = {}): ReportView {
  const allNodes = report.clusters.flatMap((cluster) => cluster.nodes);
  const diffByCluster = new Map((input.diff?.clusters ?? []).map((entry) => [entry.name, entry]));
  const evidence: EvidenceView = { artifacts: input.artifactHashes ?? [] };
  if (input.previousManifest) evidence.previousManifest = input.previousManifest;
  return {
    report,
    title: `Docker Engine dependency audit · ${report.clusters.length === 1 ? `cluster ${report.clusters[0]?.name}` : `${report.clusters.length} clusters`}`,
    generatedLabel: timeLabel(report.generatedAt),
    headline: headline(report),
    severities: severityViews(report.summary.bySeverity),
    findingsTotal: SEVERITIES.reduce((total, severity) => total + report.summary.bySeverity[severity], 0),
    severityBar: severityBar(report.summary.bySeverity),
    nodes: nodesView(allNodes),
    clusterStatus: (['complete', 'partial', 'failed'] as const)
      .map((status) => ({ status, count: report.summary.clusters[status] }))
      .filter((entry) => entry.count > 0),
    changes: changesView(input.diff),
    clusters: report.clusters.map((cluster, index) =>
      clusterView(cluster, index, diffByCluster.get(cluster.name)),
    ),
    run: runRows(report, input.diff),
    evidence,
    migration: migrationView(report.clusters),
    progress: progressView(input.progress),
  };
}
