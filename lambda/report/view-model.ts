import { resourceLabel } from '../kube/resource-label.ts';
import { SEVERITIES, SEVERITIES_DESCENDING, type Severity, severityRank } from '../rules/severity.ts';
import { RUNTIME_CATEGORIES, RUNTIME_LABELS, type RuntimeCategory } from './migration.ts';
import { type MigrationView, migrationView } from './migration-view.ts';
import type { ManifestLink } from './model.ts';
import {
  type ClusterDiff,
  type ClusterReport,
  type ClusterStatus,
  type DiffDocument,
  type Finding,
  insecureSourceNote,
  type NodeReport,
  type Report,
  type WorkloadReport,
} from './model.ts';
import type { ProgressHistory } from './progress.ts';
import { type ProgressView, progressView } from './progress-view.ts';

/**
 * What the templates show, derived from report.json and diff.json and nothing else: groupings,
 * labels, counts and the geometry of the pictures, so that templates only lay things out.
 * Markdown gets this same view with every string escaped for Markdown.
 */
export interface ReportView {
  report: Report;
  title: string;
  generatedLabel: string;
  headline: { tone: Tone; text: string; detail: string };
  severities: SeverityView[];
  findingsTotal: number;
  severityBar: Array<{ severity: Severity; x: number; width: number }>;
  nodes: NodesView;
  clusterStatus: Array<{ status: ClusterStatus; count: number }>;
  changes: ChangesView;
  clusters: ClusterView[];
  run: Array<{ label: string; value: string }>;
  evidence: EvidenceView;
  /** The migration section (migration-view.ts). */
  migration: MigrationView;
  /** The progress chart (progress-view.ts). */
  progress: ProgressView;
}

export type Tone = 'critical' | 'high' | 'medium' | 'ok' | 'warn';

export interface SeverityView {
  severity: Severity;
  count: number;
  /** A few words for legends. */
  meaning: string;
}

export interface NodesView {
  total: number;
  onDocker: number;
  offDocker: number;
  /** Share of nodes that no longer run Docker Engine, in whole percent. */
  migratedPercent: number;
  runtimes: Array<{ category: RuntimeCategory; label: string; count: number }>;
  radius: number;
  /** Donut segments on a circle of `radius`. */
  donut: Array<{ category: RuntimeCategory; dashArray: string; dashOffset: number }>;
}

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

export interface FindingView {
  finding: Finding;
  label: string;
  /** The one piece of evidence that names the problem, for one-line listings. */
  keyEvidence?: string;
  evidence: Array<{ label: string; value: string }>;
  references: LinkView[];
}

export interface LinkView {
  text: string;
  /** Only http(s) links become links; anything else is shown as text. */
  href?: string;
}

export interface WorkloadView {
  workload: WorkloadReport;
  label: string;
  anchor: string;
  findings: FindingView[];
  /** The findings by rule: a rule's remediation and references are shown once per workload. */
  rules: RuleGroupView[];
  ruleIds: string[];
  /** The most telling piece of evidence, for the overview table. */
  keyEvidence?: string;
  /** `DS050 title (evidence); DS004 ...` for the Markdown report. */
  oneLine: string;
  agentGuidance?: { vendor: string; product: string; guidance: string; references: LinkView[] };
}

export interface RuleGroupView {
  rule: string;
  title: string;
  severity: Severity;
  remediation: string;
  references: LinkView[];
  items: Array<{ message: string; evidence: FindingView['evidence'] }>;
}

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
  nodeRows: Array<{ node: NodeReport; category: RuntimeCategory; dockerLabel: string }>;
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

export interface EvidenceView {
  artifacts: Array<{ name: string; sha256: string }>;
  previousManifest?: ManifestLink;
}

export interface ViewInput {
  diff?: DiffDocument;
  /** SHA-256 of the artifacts rendered before this one (report.json, diff.json). */
  artifactHashes?: Array<{ name: string; sha256: string }>;
  previousManifest?: ManifestLink;
  /** The last runs' numbers; without them there is no progress chart. */
  progress?: ProgressHistory;
}

const SEVERITY_MEANING: Record<Severity, string> = {
  critical: 'broken now',
  high: 'breaks without Docker',
  medium: 'needs a look',
  low: 'keeps working',
  info: 'context',
};

const GROUP_HEADINGS: Record<Severity, string> = {
  critical: 'Critical: broken now',
  high: 'High: breaks when its nodes leave Docker Engine',
  medium: 'Medium: can reach Docker Engine, needs a look',
  low: 'Low: Docker-related, keeps working without it',
  info: 'Info: context',
};

/** Circumference 100, so that dash lengths are percentages. */
const DONUT_RADIUS = 15.9155;
const FLEET_CHANGE_ROWS = 50;

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

function headline(report: Report): ReportView['headline'] {
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

function severityViews(counts: Record<Severity, number>): SeverityView[] {
  return SEVERITIES_DESCENDING.map((severity) => ({
    severity,
    count: counts[severity],
    meaning: SEVERITY_MEANING[severity],
  }));
}

/** A stacked bar 100 units wide. */
function severityBar(counts: Record<Severity, number>): ReportView['severityBar'] {
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

function nodesView(nodes: readonly NodeReport[]): NodesView {
  const total = nodes.length;
  const onDocker = nodes.filter((node) => node.dockerEngine).length;
  const runtimes = RUNTIME_CATEGORIES.map((category) => ({
    category,
    label: RUNTIME_LABELS[category],
    count: nodes.filter((node) => node.runtimeCategory === category).length,
  })).filter((entry) => entry.count > 0);
  let offset = 0;
  const donut = runtimes.map((entry) => {
    const length = round((entry.count / total) * 100);
    const segment = {
      category: entry.category,
      dashArray: `${length} ${round(100 - length)}`,
      dashOffset: round(25 - offset),
    };
    offset += length;
    return segment;
  });
  return {
    total,
    onDocker,
    offDocker: total - onDocker,
    migratedPercent: total === 0 ? 0 : Math.floor(((total - onDocker) / total) * 100),
    radius: DONUT_RADIUS,
    runtimes,
    donut,
  };
}

function changesView(diff: DiffDocument | undefined): ChangesView {
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

function clusterView(cluster: ClusterReport, index: number, diff: ClusterDiff | undefined): ClusterView {
  const byId = new Map(cluster.findings.map((finding) => [finding.id, finding]));
  const anchor = `cluster-${index + 1}`;
  const workloads = cluster.workloads.map((workload, position) =>
    workloadView(workload, byId, `${anchor}-w${position + 1}`),
  );
  const verdictGroups = SEVERITIES_DESCENDING.map((severity) => ({
    severity,
    heading: GROUP_HEADINGS[severity],
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
      category: node.runtimeCategory,
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

function clusterChangesView(diff: ClusterDiff, previousRunId: string): ClusterChangesView {
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

function workloadView(
  workload: WorkloadReport,
  byId: ReadonlyMap<string, Finding>,
  anchor: string,
): WorkloadView {
  const findings = workload.findings
    .map((id) => byId.get(id))
    .filter((finding): finding is Finding => finding !== undefined && !finding.exemption)
    .map(findingView);
  const rules = ruleGroups(findings);
  const view: WorkloadView = {
    workload,
    label: resourceLabel(workload.resource),
    anchor,
    findings,
    rules,
    ruleIds: rules.map((group) => group.rule),
    oneLine: rules
      .map((group) => {
        const evidence = [
          ...new Set(
            findings
              .filter((entry) => entry.finding.rule === group.rule)
              .flatMap((entry) => entry.keyEvidence ?? []),
          ),
        ];
        return `${group.rule} ${group.title}${evidence.length > 0 ? ` (${evidence.join(', ')})` : ''}`;
      })
      .join('; '),
  };
  const keyEvidence = findings.find((entry) => entry.keyEvidence !== undefined)?.keyEvidence;
  if (keyEvidence !== undefined) view.keyEvidence = keyEvidence;
  const agent = findings.find((entry) => entry.finding.agent)?.finding.agent;
  if (agent)
    view.agentGuidance = {
      vendor: agent.vendor,
      product: agent.product,
      guidance: agent.guidance,
      references: agent.references.map(linkView),
    };
  return view;
}

/** Findings of one rule together, most severe rule first; the order within a rule is the report's. */
function ruleGroups(findings: readonly FindingView[]): RuleGroupView[] {
  const groups = new Map<string, RuleGroupView>();
  for (const { finding, evidence } of findings) {
    let group = groups.get(finding.rule);
    if (!group) {
      group = {
        rule: finding.rule,
        title: finding.title,
        severity: finding.severity,
        remediation: finding.remediation,
        references: finding.references.map(linkView),
        items: [],
      };
      groups.set(finding.rule, group);
    }
    group.items.push({ message: finding.message, evidence });
  }
  return [...groups.values()].sort(
    (a, b) => severityRank(b.severity) - severityRank(a.severity) || a.rule.localeCompare(b.rule),
  );
}

export function findingView(finding: Finding): FindingView {
  const evidence = evidenceRows(finding);
  const view: FindingView = {
    finding,
    label: resourceLabel(finding.resource),
    evidence,
    references: finding.references.map(linkView),
  };
  const { hostPath, env, arg, endpoint, configKey, node, runtime } = finding.evidence;
  // A node finding's resource is the node already: its runtime is what tells.
  const key = hostPath ?? env ?? arg ?? endpoint ?? configKey ?? runtime ?? node;
  if (key !== undefined) view.keyEvidence = key;
  return view;
}

function evidenceRows(finding: Finding): FindingView['evidence'] {
  const evidence = finding.evidence;
  const rows: FindingView['evidence'] = [];
  const add = (label: string, value: string | undefined) => {
    if (value !== undefined && value !== '') rows.push({ label, value });
  };
  add('Container', finding.container);
  add('Host path', evidence.hostPath);
  if (evidence.volumeHostPath !== undefined)
    add('Volume', `${evidence.volumeHostPath}${evidence.subPath ? ` (subPath ${evidence.subPath})` : ''}`);
  else add('subPath', evidence.subPath);
  if (evidence.mountPath !== undefined)
    add('Mounted at', `${evidence.mountPath}${evidence.readOnly ? ' (read-only)' : ''}`);
  add('Environment', evidence.env);
  add('Argument', evidence.arg);
  add('Endpoint', evidence.endpoint);
  add('Image', evidence.image);
  add('Config key', evidence.configKey);
  add('Value', evidence.value);
  add('Node', evidence.node);
  add('Runtime', evidence.runtime);
  add('Kubelet', evidence.kubeletVersion);
  add('Annotation', evidence.annotation);
  if (evidence.nodes && evidence.nodes.length > 0) {
    const more = (evidence.nodeCount ?? evidence.nodes.length) - evidence.nodes.length;
    add('Nodes', `${evidence.nodes.join(', ')}${more > 0 ? ` and ${more} more` : ''}`);
  }
  return rows;
}

/** Links show their site and page, not the whole URL; only http(s) URLs become links. */
function linkView(reference: string): LinkView {
  if (!/^https?:\/\/[^\s"'<>`]+$/i.test(reference)) return { text: reference };
  try {
    const url = new URL(reference);
    const page = url.pathname.split('/').filter(Boolean).at(-1) ?? '';
    const text = `${url.hostname.replace(/^www\./, '')}${page ? ` › ${decodeURIComponent(page).replace(/\.html?$/, '')}` : ''}${url.hash ? ` ${url.hash}` : ''}`;
    return { text, href: reference };
  } catch {
    return { text: reference };
  }
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

function runRows(report: Report, diff: DiffDocument | undefined): ReportView['run'] {
  const rows = [
    { label: 'Run', value: report.runId },
    { label: 'Generated', value: timeLabel(report.generatedAt) },
    { label: 'Tool', value: `${report.tool.name} ${report.tool.version}` },
    { label: 'Rules version', value: report.tool.rulesVersion },
  ];
  if (report.identity !== undefined) rows.push({ label: 'Run by', value: report.identity });
  rows.push({
    label: 'Compared with',
    value: diff?.previousRunId !== undefined ? `run ${diff.previousRunId}` : 'nothing (baseline)',
  });
  return rows;
}

/** `2026-11-22 03:00 UTC`: the report is read in many time zones. */
function timeLabel(iso: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : iso;
}

function plural(count: number, word: string): string {
  return count === 1 ? word : `${word}s`;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
