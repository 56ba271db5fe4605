import { resourceLabel } from '../kube/resource-label.ts';
import { SEVERITIES_DESCENDING, type Severity, severityBreakdown } from '../rules/severity.ts';
import { printable } from '../text.ts';
import type { DiffDocument, Report, SeverityCounts } from './model.ts';

const MAX_WORKLOADS_SHOWN = 15;
const COLOURS: Record<Severity, string> = {
  critical: '\u001b[1;31m',
  high: '\u001b[31m',
  medium: '\u001b[33m',
  low: '\u001b[36m',
  info: '\u001b[2m',
};
const RESET = '\u001b[0m';

/** What a person at a terminal wants to see after a scan: status per cluster, the worst workloads, totals. */
export function formatTerminalSummary(report: Report, options: { colour: boolean }): string {
  const paint = (severity: Severity, text: string) =>
    options.colour ? `${COLOURS[severity]}${text}${RESET}` : text;
  const lines: string[] = [];
  for (const cluster of report.clusters) {
    const nodes =
      cluster.nodes.length > 0
        ? `, ${cluster.nodes.length} nodes (${cluster.summary.nodesOnDocker} on Docker Engine)`
        : '';
    const errors = cluster.errors.length > 0 ? `, ${cluster.errors.length} errors (listed above)` : '';
    lines.push(`Cluster ${printable(cluster.name)}: ${cluster.status}${errors}${nodes}`);
    for (const note of cluster.notes ?? []) lines.push(`  note: ${printable(note)}`);
    const byId = new Map(cluster.findings.map((finding) => [finding.id, finding]));
    const shown = cluster.workloads.filter((workload) => workload.verdict !== 'info');
    for (const workload of shown.slice(0, MAX_WORKLOADS_SHOWN)) {
      const counted = workload.findings
        .map((id) => byId.get(id))
        .filter((finding) => finding && !finding.exemption);
      const rules = [...new Set(counted.map((finding) => finding?.rule))].join(',');
      lines.push(
        `  ${paint(workload.verdict, workload.verdict.toUpperCase().padEnd(8))} ${printable(resourceLabel(workload.resource))}  [${rules}]`,
      );
    }
    if (shown.length > MAX_WORKLOADS_SHOWN)
      lines.push(`  ... and ${shown.length - MAX_WORKLOADS_SHOWN} more (see the report)`);
    if (shown.length === 0 && cluster.status !== 'failed') lines.push('  nothing depends on Docker Engine');
  }
  const counts = SEVERITIES_DESCENDING.map((severity) =>
    paint(severity, `${report.summary.bySeverity[severity]} ${severity}`),
  ).join(', ');
  const { summary } = report;
  lines.push(
    `Findings: ${counts}. ${summary.workloadsAffected} workloads affected; ${summary.nodesOnDocker} of ${summary.nodes.total} nodes on Docker Engine.`,
  );
  if (summary.exempted > 0) lines.push(`${summary.exempted} findings exempted by policy.`);
  for (const warning of report.warnings) lines.push(`Warning: ${printable(warning)}`);
  return lines.join('\n');
}

/** One line for the terminal: what changed since the previous run. */
export function formatDiffLine(diff: DiffDocument): string {
  const { summary } = diff;
  if (diff.baseline)
    return `Since the last run: nothing to compare with, so this run is the baseline (${summary.new} findings).`;
  const detail = (count: number, counts: SeverityCounts) =>
    count > 0 ? ` (${severityBreakdown(counts)})` : '';
  const withheld = diff.clusters.filter((cluster) => cluster.resolvedWithheld).length;
  return [
    `Since run ${printable(diff.previousRunId ?? 'before')}: ${summary.new} new${detail(summary.new, summary.newBySeverity)},`,
    `${summary.resolved} resolved${detail(summary.resolved, summary.resolvedBySeverity)}, ${summary.unchanged} unchanged.`,
    withheld > 0
      ? `Resolved findings are not known for ${withheld} incompletely read ${withheld === 1 ? 'cluster' : 'clusters'}.`
      : '',
  ]
    .filter(Boolean)
    .join(' ');
}
