import { resourceLabel } from '../kube/resource-label.ts';
import type { ClusterStatus, DiffDocument, Finding, SeverityCounts } from '../report/model.ts';
import type { Evidence } from '../rules/rule.ts';
import { type Severity, severityBreakdown, severityRank } from '../rules/severity.ts';
import { clip } from '../text.ts';

/**
 * What every message says, whatever its format: the headline, the findings that changed (most
 * important first), clusters that could not be read, the link. Built from the diff alone. Strings
 * that came from a cluster are kept as plain text here (clipped, control characters removed);
 * each format escapes them for its own markup.
 */
export interface Notice {
  runId: string;
  previousRunId?: string;
  generatedAt: string;
  baseline: boolean;
  /** The full report, when it is a link a chat client can open (http or https). */
  reportUrl?: string;
  /** How long that link really works, in one sentence of the tool's own words: `The link works until ...`. */
  linkValidity?: string;
  /** `1 cluster`, `3 clusters`. */
  clusterCount: string;
  counts: NoticeCounts;
  /** `dockershim-audit: 3 new, 1 resolved` — no cluster data, so it is safe in any header or subject. */
  title: string;
  /** `New: 3 (1 critical, 2 high) · Resolved: 1 (1 high) · Still open: 14` — no cluster data either. */
  headline: string;
  /** Every new finding, most important first; formats list as many as fit. */
  newFindings: NoticeItem[];
  resolved: NoticeItem[];
  severityChanges: SeverityChangeItem[];
  /** Clusters not read completely, and clusters whose status changed. */
  clusterStatus: ClusterStatusItem[];
  nodesLeftDocker: Array<{ cluster: string; node: string }>;
  /** Pools of the migration plan that nothing blocks any more. */
  poolsBecameReady: Array<{ cluster: string; pool: string }>;
  notes: string[];
}

export interface NoticeCounts {
  new: number;
  resolved: number;
  /** Findings in this run: new plus unchanged. */
  stillOpen: number;
  newBySeverity: SeverityCounts;
  resolvedBySeverity: SeverityCounts;
  severityChanged: number;
}

export interface NoticeItem {
  id: string;
  severity: Severity;
  rule: string;
  /** The rule's title. */
  title: string;
  cluster: string;
  /** `DaemonSet monitoring/socket-agent`, with the container when there is one. */
  resource: string;
  /** The host path, variable, endpoint, setting or annotation that names Docker. */
  evidence: string;
  exempt: boolean;
}

export interface SeverityChangeItem extends NoticeItem {
  from: Severity;
}

export interface ClusterStatusItem {
  cluster: string;
  status: ClusterStatus;
  /** The status in the previous run, only when it was a different one. */
  previousStatus?: ClusterStatus;
  /** Why resolved findings were withheld for it. */
  withheld?: string;
}

/** Longest a piece of cluster text gets in a message; the report has the rest. */
export const FIELD_LIMITS = { cluster: 80, resource: 160, evidence: 200, note: 300 } as const;

export function buildNotice(diff: DiffDocument): Notice {
  const items = (pick: (cluster: DiffDocument['clusters'][number]) => Finding[]) =>
    diff.clusters.flatMap((cluster) => pick(cluster).map((finding) => noticeItem(cluster.name, finding)));
  const { summary } = diff;
  const severityChanges = diff.clusters.flatMap((cluster) =>
    cluster.severityChanged.map(
      (change): SeverityChangeItem => ({ ...noticeItem(cluster.name, change.finding), from: change.from }),
    ),
  );
  const counts: NoticeCounts = {
    new: summary.new,
    resolved: summary.resolved,
    stillOpen: summary.new + summary.unchanged,
    newBySeverity: summary.newBySeverity,
    resolvedBySeverity: summary.resolvedBySeverity,
    severityChanged: severityChanges.length,
  };
  const notice: Notice = {
    runId: plain(diff.runId, 80),
    generatedAt: plain(diff.generatedAt, 40),
    baseline: diff.baseline,
    clusterCount: `${diff.clusters.length} ${diff.clusters.length === 1 ? 'cluster' : 'clusters'}`,
    counts,
    title: titleOf(diff.baseline, counts),
    headline: headlineOf(diff.baseline, counts),
    newFindings: items((cluster) => cluster.new).sort(byImportance),
    resolved: items((cluster) => cluster.resolved).sort(byImportance),
    severityChanges: severityChanges.sort(byImportance),
    clusterStatus: diff.clusters
      .filter((cluster) => cluster.status !== 'complete' || statusChanged(cluster, diff.baseline))
      .map((cluster) => {
        const item: ClusterStatusItem = {
          cluster: plain(cluster.name, FIELD_LIMITS.cluster),
          status: cluster.status,
        };
        if (cluster.previousStatus !== undefined && cluster.previousStatus !== cluster.status)
          item.previousStatus = cluster.previousStatus;
        if (cluster.resolvedWithheld) item.withheld = plain(cluster.resolvedWithheld, FIELD_LIMITS.note);
        return item;
      }),
    nodesLeftDocker: diff.clusters.flatMap((cluster) =>
      cluster.nodesLeftDocker.map((node) => ({
        cluster: plain(cluster.name, FIELD_LIMITS.cluster),
        node: plain(node, FIELD_LIMITS.resource),
      })),
    ),
    poolsBecameReady: diff.clusters.flatMap((cluster) =>
      // Diffs stored before pools existed have none.
      (cluster.poolsBecameReady ?? []).map((pool) => ({
        cluster: plain(cluster.name, FIELD_LIMITS.cluster),
        pool: plain(pool, FIELD_LIMITS.resource),
      })),
    ),
    notes: diff.notes.map((note) => plain(note, FIELD_LIMITS.note)),
  };
  if (diff.previousRunId !== undefined) notice.previousRunId = plain(diff.previousRunId, 80);
  const link = linkable(diff.reportUrl);
  if (link !== undefined) {
    notice.reportUrl = link;
    const validity = linkValidity(diff);
    if (validity !== undefined) notice.linkValidity = validity;
  }
  return notice;
}

/**
 * The real end of the link, said plainly: a presigned URL stops working when the credentials
 * that signed it expire, whatever expiry it asked for.
 */
export function linkValidity(
  diff: Pick<DiffDocument, 'reportUrlExpiresAt' | 'reportUrlExpiry'>,
): string | undefined {
  const at = diff.reportUrlExpiresAt === undefined ? Number.NaN : Date.parse(diff.reportUrlExpiresAt);
  if (Number.isNaN(at)) return undefined;
  const when = `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  switch (diff.reportUrlExpiry) {
    case 'credentials':
      return `The link works until ${when}, when the credentials that signed it expire.`;
    case 'session':
      return `The link works until ${when} at the latest: it was signed with temporary credentials and stops working when their session ends, which can be within hours.`;
    default:
      return `The link works until ${when}.`;
  }
}

function statusChanged(cluster: DiffDocument['clusters'][number], baseline: boolean): boolean {
  return !baseline && cluster.previousStatus !== undefined && cluster.previousStatus !== cluster.status;
}

function noticeItem(cluster: string, finding: Finding): NoticeItem {
  const resource =
    resourceLabel(finding.resource) + (finding.container ? `, container ${finding.container}` : '');
  return {
    id: plain(finding.id, 80),
    severity: finding.severity,
    rule: plain(finding.rule, 20),
    title: plain(finding.title, 200),
    cluster: plain(cluster, FIELD_LIMITS.cluster),
    resource: plain(resource, FIELD_LIMITS.resource),
    evidence: plain(evidenceLabel(finding.evidence), FIELD_LIMITS.evidence),
    exempt: finding.exemption !== undefined,
  };
}

/** The evidence a reader needs to find the problem, in one line. */
export function evidenceLabel(evidence: Evidence): string {
  const parts: string[] = [];
  if (evidence.env) parts.push(`env ${evidence.env}`);
  else if (evidence.arg) parts.push(`argument ${evidence.arg}`);
  if (evidence.hostPath) parts.push(`hostPath ${evidence.hostPath}`);
  if (evidence.endpoint) parts.push(`endpoint ${evidence.endpoint}`);
  if (evidence.configKey)
    parts.push(evidence.value ? `${evidence.configKey}: ${evidence.value}` : evidence.configKey);
  if (evidence.runtime) parts.push(`runtime ${evidence.runtime}`);
  if (evidence.annotation) parts.push(`annotation ${evidence.annotation}`);
  if (evidence.nodeCount !== undefined) parts.push(`on ${evidence.nodeCount} nodes without Docker Engine`);
  return parts.join(', ');
}

/** Most important first: severity, then findings that count (not exempt), then a stable order. */
function byImportance(a: NoticeItem, b: NoticeItem): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    Number(a.exempt) - Number(b.exempt) ||
    a.cluster.localeCompare(b.cluster) ||
    a.resource.localeCompare(b.resource) ||
    a.id.localeCompare(b.id)
  );
}

function titleOf(baseline: boolean, counts: NoticeCounts): string {
  if (baseline) return `dockershim-audit baseline: ${counts.stillOpen} open findings`;
  if (counts.new === 0 && counts.resolved === 0 && counts.severityChanged === 0)
    return `dockershim-audit: no new or resolved findings`;
  return `dockershim-audit: ${counts.new} new, ${counts.resolved} resolved`;
}

function headlineOf(baseline: boolean, counts: NoticeCounts): string {
  if (baseline)
    return `First run, nothing to compare with. Open: ${counts.stillOpen} (${severityBreakdown(counts.newBySeverity)})`;
  const withSeverity = (count: number, bySev: SeverityCounts) =>
    count > 0 ? `${count} (${severityBreakdown(bySev)})` : '0';
  return [
    `New: ${withSeverity(counts.new, counts.newBySeverity)}`,
    `Resolved: ${withSeverity(counts.resolved, counts.resolvedBySeverity)}`,
    `Still open: ${counts.stillOpen}`,
    ...(counts.severityChanged > 0 ? [`Severity changed: ${counts.severityChanged}`] : []),
  ].join(' · ');
}

/** http and https links only: a chat client cannot open a file path or anything stranger. */
function linkable(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Cluster text as one clipped line: control characters (newlines included) become spaces, so a
 * value cannot start a line of its own and pass for something the tool wrote.
 */
export function plain(text: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
  return clip(line, max);
}

export { clip };
