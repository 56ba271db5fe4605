import { SEVERITIES, SEVERITIES_DESCENDING, SEVERITY_MEANINGS, type Severity } from '../rules/severity.ts';
import { plural } from '../text.ts';
import type { Report } from './model.ts';
import { round } from './svg.ts';

/** The headline and the severity legend and bar (partials/summary.hbs). */

/** The sentence at the top of the report and its colour. */
export interface HeadlineView {
  tone: Tone;
  text: string;
  detail: string;
}

/** A stacked bar's segment, in units of a bar 100 wide. */
export interface SeverityBarSegment {
  severity: Severity;
  x: number;
  width: number;
}

export type Tone = 'critical' | 'high' | 'medium' | 'ok' | 'warn';

export interface SeverityView {
  severity: Severity;
  count: number;
  /** A few words for legends. */
  meaning: string;
}

export function headline(report: Report): HeadlineView {
  const workloads = report.clusters.flatMap((cluster) =>
    cluster.workloads.filter((workload) => workload.resource.kind !== 'Node'),
  );
  const count = (severity: Severity) => workloads.filter((workload) => workload.verdict === severity).length;
  const { nodes, nodesOnDocker, clusters } = report.summary;
  const unread = clusters.partial + clusters.failed;
  const detail = [
    nodes.total > 0
      ? `${nodesOnDocker} of ${nodes.total} ${plural(nodes.total, 'node')} still ${nodesOnDocker === 1 ? 'runs' : 'run'} Docker Engine.`
      : 'No nodes were read.',
    unread > 0
      ? `${unread} of ${report.clusters.length} ${plural(report.clusters.length, 'cluster')} could not be read completely: the picture is incomplete.`
      : '',
  ]
    .filter(Boolean)
    .join(' ');
  const critical = count('critical');
  const high = count('high');
  const medium = count('medium');
  if (critical > 0)
    return {
      tone: 'critical',
      text: `${critical} ${plural(critical, 'workload')} ${critical === 1 ? 'is' : 'are'} broken now: ${critical === 1 ? 'it needs' : 'they need'} Docker Engine on nodes that no longer run it.`,
      detail,
    };
  if (high > 0)
    return {
      tone: 'high',
      text: `${high} ${plural(high, 'workload')} will break when ${high === 1 ? 'its nodes leave' : 'their nodes leave'} Docker Engine.`,
      detail,
    };
  if (medium > 0)
    return {
      tone: 'medium',
      text: `Nothing is known to break, but ${medium} ${plural(medium, 'workload')} ${medium === 1 ? 'needs' : 'need'} a look.`,
      detail,
    };
  if (unread > 0) return { tone: 'warn', text: 'Nothing was found in what could be read.', detail };
  return { tone: 'ok', text: 'Nothing in the audited clusters depends on Docker Engine.', detail };
}

export function severityViews(counts: Record<Severity, number>): SeverityView[] {
  return SEVERITIES_DESCENDING.map((severity) => ({
    severity,
    count: counts[severity],
    meaning: SEVERITY_MEANINGS[severity].short,
  }));
}

/** A stacked bar 100 units wide. */
export function severityBar(counts: Record<Severity, number>): SeverityBarSegment[] {
  const total = SEVERITIES.reduce((sum, severity) => sum + counts[severity], 0);
  if (total === 0) return [];
  let x = 0;
  return SEVERITIES_DESCENDING.filter((severity) => counts[severity] > 0).map((severity) => {
    const width = round((counts[severity] / total) * 100);
    const segment = { severity, x: round(x), width };
    x += width;
    return segment;
  });
}
