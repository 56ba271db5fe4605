import { SEVERITIES_DESCENDING, type Severity, severityHeading } from '../rules/severity.ts';
import { plural } from '../text.ts';
import { type ClusterChangesView, clusterChangesView } from './changes-view.ts';
import { type ClusterDiff, type ClusterReport, insecureSourceNote, type NodeReport } from './model.ts';
import { type SeverityView, severityViews } from './summary-view.ts';
import { type FindingView, findingView, type WorkloadView, workloadView } from './workload-view.ts';

/** One cluster's section: source, status, nodes, workloads by verdict, exemptions (partials/cluster.hbs, partials/clusters-overview.hbs). */

export interface ClusterView {
  cluster: ClusterReport;
  anchor: string;
  sourceLabel: string;
  statusNote?: string;
  /** Set when the cluster was read without checking its certificate. */
  tlsNote?: string;
  objectsLabel: string;
  severityCounts: SeverityView[];
  nodesOnDocker: number;
  nodeRows: Array<{ node: NodeReport; dockerLabel: string }>;
  verdictGroups: Array<{
    severity: Severity;
    heading: string;
    workloads: WorkloadView[];
    collapsed: boolean;
  }>;
  /** Workloads above info, most severe first: the cluster's table of contents. */
  affected: WorkloadView[];
  /** Workloads whose verdict is info: the Markdown report counts them rather than listing them. */
  infoWorkloads: number;
  exempted: Array<{ finding: FindingView; reason: string; expires?: string }>;
  changes?: ClusterChangesView;
}

export function clusterView(
  cluster: ClusterReport,
  index: number,
  diff: ClusterDiff | undefined,
): ClusterView {
  const byId = new Map(cluster.findings.map((finding) => [finding.id, finding]));
  const anchor = `cluster-${index + 1}`;
  const workloads = cluster.workloads.map((workload, position) =>
    workloadView(workload, byId, `${anchor}-w${position + 1}`),
  );
  const verdictGroups = SEVERITIES_DESCENDING.map((severity) => ({
    severity,
    heading: severityHeading(severity),
    workloads: workloads.filter((entry) => entry.workload.verdict === severity && entry.findings.length > 0),
    collapsed: severity === 'info',
  })).filter((group) => group.workloads.length > 0);
  const view: ClusterView = {
    cluster,
    anchor,
    sourceLabel: sourceLabel(cluster),
    ...(cluster.source.type === 'kubernetes' &&
      cluster.source.insecureSkipTlsVerify && { tlsNote: insecureSourceNote(cluster.name) }),
    objectsLabel: objectsLabel(cluster.objects),
    severityCounts: severityViews(cluster.summary.bySeverity),
    nodesOnDocker: cluster.summary.nodesOnDocker,
    nodeRows: cluster.nodes.map((node) => ({
      node,
      dockerLabel: node.dockershim
        ? 'yes, through dockershim (upgrade blocker)'
        : node.dockerEngine
          ? 'yes, through cri-dockerd'
          : 'no',
    })),
    verdictGroups,
    affected: verdictGroups.filter((group) => group.severity !== 'info').flatMap((group) => group.workloads),
    infoWorkloads: workloads.filter((entry) => entry.workload.verdict === 'info').length,
    exempted: cluster.findings
      .filter((finding) => finding.exemption)
      .map((finding) => ({
        finding: findingView(finding),
        reason: finding.exemption?.reason ?? '',
        ...(finding.exemption?.expires !== undefined && { expires: finding.exemption.expires }),
      })),
  };
  if (cluster.status === 'partial')
    view.statusNote =
      'Some objects could not be read (see below): the findings are incomplete, and nothing is reported as resolved.';
  if (cluster.status === 'failed')
    view.statusNote = 'The cluster could not be read: there are no findings for it in this run.';
  // On a fleet baseline the cluster sections would only repeat that everything is new.
  if (diff?.previousRunId !== undefined) view.changes = clusterChangesView(diff, diff.previousRunId);
  return view;
}

function sourceLabel(cluster: ClusterReport): string {
  const source = cluster.source;
  if (source.type === 'manifests') return `Read from manifests: ${source.paths.join(', ')}`;
  return [
    'Read from the Kubernetes API',
    source.context ? `context ${source.context}` : '',
    source.server ?? '',
    source.serverVersion ? `Kubernetes ${source.serverVersion}` : '',
    source.identity ? `as ${source.identity}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

function objectsLabel(objects: Record<string, number>): string {
  const entries = Object.entries(objects).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const total = entries.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return 'No objects were read.';
  return `${total} ${plural(total, 'object')} read: ${entries.map(([kind, count]) => `${count} ${kind}`).join(', ')}.`;
}
