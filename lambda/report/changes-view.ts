import type { Severity } from '../rules/severity.ts';
import { plural } from '../text.ts';
import type { ClusterDiff, ClusterStatus, DiffDocument, Finding } from './model.ts';
import { type FindingView, findingView } from './workload-view.ts';

/** What changed since the previous run, fleet-wide and per cluster (partials/changes.hbs, partials/cluster-changes.hbs). */

export interface ChangesView {
  baseline: boolean;
  previousRunId?: string;
  new: number;
  resolved: number;
  unchanged: number;
  summary: string;
  rows: ChangeRow[];
  /** Rows left out of the fleet table (they are in the cluster sections). */
  moreRows: number;
  nodesLeftDocker: Array<{ cluster: string; node: string }>;
  poolsBecameReady: Array<{ cluster: string; pool: string }>;
  withheld: Array<{ cluster: string; reason: string }>;
  statusChanges: Array<{ cluster: string; from: ClusterStatus; to: ClusterStatus }>;
  notes: string[];
  empty: boolean;
}

export interface ChangeRow {
  change: 'new' | 'resolved' | 'severity';
  changeLabel: string;
  cluster: string;
  finding: FindingView;
  fromSeverity?: Severity;
}

export interface ClusterChangesView {
  previousRunId: string;
  previousStatus?: ClusterStatus;
  new: FindingView[];
  resolved: FindingView[];
  severityChanged: Array<{ finding: FindingView; from: Severity }>;
  nodesLeftDocker: string[];
  unchanged: number;
  resolvedWithheld?: string;
  summary: string;
}

const FLEET_CHANGE_ROWS = 50;

export function changesView(diff: DiffDocument | undefined): ChangesView {
  if (!diff)
    return {
      baseline: true,
      new: 0,
      resolved: 0,
      unchanged: 0,
      summary: 'Not compared with an earlier run.',
      rows: [],
      moreRows: 0,
      nodesLeftDocker: [],
      poolsBecameReady: [],
      withheld: [],
      statusChanges: [],
      notes: [],
      empty: true,
    };
  const rows: ChangeRow[] = diff.baseline
    ? []
    : diff.clusters.flatMap((cluster) => [
        ...cluster.new.map((finding) => changeRow('new', cluster.name, finding)),
        ...cluster.resolved.map((finding) => changeRow('resolved', cluster.name, finding)),
        ...cluster.severityChanged.map((change) => ({
          ...changeRow('severity', cluster.name, change.finding),
          fromSeverity: change.from,
        })),
      ]);
  const { summary } = diff;
  const view: ChangesView = {
    baseline: diff.baseline,
    new: summary.new,
    resolved: summary.resolved,
    unchanged: summary.unchanged,
    summary: diff.baseline
      ? `First run: this is the baseline, and all ${summary.new} ${plural(summary.new, 'finding')} count as new.`
      : `${summary.new} new, ${summary.resolved} resolved, ${summary.unchanged} unchanged since run ${diff.previousRunId ?? 'before'}.`,
    rows: rows.slice(0, FLEET_CHANGE_ROWS),
    moreRows: Math.max(0, rows.length - FLEET_CHANGE_ROWS),
    nodesLeftDocker: diff.clusters.flatMap((cluster) =>
      cluster.nodesLeftDocker.map((node) => ({ cluster: cluster.name, node })),
    ),
    // Diffs made before pools existed have none.
    poolsBecameReady: diff.clusters.flatMap((cluster) =>
      (cluster.poolsBecameReady ?? []).map((pool) => ({ cluster: cluster.name, pool })),
    ),
    withheld: diff.clusters.flatMap((cluster) =>
      cluster.resolvedWithheld ? [{ cluster: cluster.name, reason: cluster.resolvedWithheld }] : [],
    ),
    statusChanges: diff.clusters.flatMap((cluster) =>
      cluster.previousStatus && cluster.previousStatus !== cluster.status
        ? [{ cluster: cluster.name, from: cluster.previousStatus, to: cluster.status }]
        : [],
    ),
    notes: diff.notes,
    empty: false,
  };
  view.empty =
    !diff.baseline &&
    rows.length === 0 &&
    view.nodesLeftDocker.length === 0 &&
    view.poolsBecameReady.length === 0 &&
    view.withheld.length === 0 &&
    view.statusChanges.length === 0;
  if (diff.previousRunId !== undefined) view.previousRunId = diff.previousRunId;
  return view;
}

const CHANGE_LABELS: Record<ChangeRow['change'], string> = {
  new: 'new',
  resolved: 'resolved',
  severity: 'severity changed',
};

function changeRow(change: ChangeRow['change'], cluster: string, finding: Finding): ChangeRow {
  return { change, changeLabel: CHANGE_LABELS[change], cluster, finding: findingView(finding) };
}

export function clusterChangesView(diff: ClusterDiff, previousRunId: string): ClusterChangesView {
  const view: ClusterChangesView = {
    previousRunId,
    new: diff.new.map(findingView),
    resolved: diff.resolved.map(findingView),
    severityChanged: diff.severityChanged.map((change) => ({
      finding: findingView(change.finding),
      from: change.from,
    })),
    nodesLeftDocker: diff.nodesLeftDocker,
    unchanged: diff.unchanged,
    summary: `${diff.new.length} new, ${diff.resolvedWithheld ? 'resolved not known' : `${diff.resolved.length} resolved`}, ${diff.unchanged} unchanged since run ${previousRunId}${diff.previousStatus && diff.previousStatus !== diff.status ? ` (the cluster was ${diff.previousStatus} then)` : ''}.`,
  };
  if (diff.previousStatus !== undefined) view.previousStatus = diff.previousStatus;
  if (diff.resolvedWithheld !== undefined) view.resolvedWithheld = diff.resolvedWithheld;
  return view;
}
