import { SEVERITIES, type Severity } from '../rules/severity.ts';
import type { ClusterReport, Finding, Report, WorkloadReport } from './model.ts';

/**
 * What the templates show, derived from the report and nothing else: groupings and labels,
 * so that templates only lay things out. Every value comes from report.json.
 */
export interface ReportView {
  report: Report;
  severities: Array<{ severity: Severity; count: number }>;
  clusters: ClusterView[];
}

export interface ClusterView {
  cluster: ClusterReport;
  sourceLabel: string;
  verdictGroups: Array<{ severity: Severity; workloads: WorkloadView[] }>;
  exempted: Finding[];
}

export interface WorkloadView {
  workload: WorkloadReport;
  label: string;
  findings: Finding[];
  agentGuidance?: Finding['agent'];
}

const DESCENDING: readonly Severity[] = [...SEVERITIES].reverse();

export function buildReportView(report: Report): ReportView {
  return {
    report,
    severities: DESCENDING.map((severity) => ({ severity, count: report.summary.bySeverity[severity] })),
    clusters: report.clusters.map(clusterView),
  };
}

function clusterView(cluster: ClusterReport): ClusterView {
  const byId = new Map(cluster.findings.map((finding) => [finding.id, finding]));
  const workloads = cluster.workloads.map((workload): WorkloadView => {
    const findings = workload.findings
      .map((id) => byId.get(id))
      .filter((finding): finding is Finding => finding !== undefined && !finding.exemption);
    const view: WorkloadView = { workload, label: resourceLabel(workload.resource), findings };
    const agent = findings.find((finding) => finding.agent)?.agent;
    if (agent) view.agentGuidance = agent;
    return view;
  });
  return {
    cluster,
    sourceLabel:
      cluster.source.type === 'manifests'
        ? `manifests: ${cluster.source.paths.join(', ')}`
        : `Kubernetes API${cluster.source.context ? ` (context ${cluster.source.context})` : ''}${cluster.source.serverVersion ? `, ${cluster.source.serverVersion}` : ''}`,
    verdictGroups: DESCENDING.map((severity) => ({
      severity,
      workloads: workloads.filter((view) => view.workload.verdict === severity),
    })).filter((group) => group.workloads.length > 0),
    exempted: cluster.findings.filter((finding) => finding.exemption),
  };
}

/** `DaemonSet kube-system/fluentd`, `Node worker-1`. */
export function resourceLabel(resource: Finding['resource']): string {
  return `${resource.kind} ${resource.namespace ? `${resource.namespace}/` : ''}${resource.name}`;
}
