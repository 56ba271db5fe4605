import type { Notice, NoticeItem } from './notice.ts';

/** SNS: a subject is ASCII, has no line breaks and is under 100 characters. */
export const EMAIL_SUBJECT_MAX = 99;
/** How many of each list the e-mail shows; the report has them all. */
export const EMAIL_LIST_CAPS = {
  clusters: 50,
  newFindings: 50,
  resolved: 50,
  severityChanges: 50,
  nodes: 50,
} as const;

export interface EmailMessage {
  subject: string;
  text: string;
}

/**
 * A plain-text e-mail for SNS subscribers. There is no markup to escape; cluster text was made
 * one line (control characters removed) in the notice, so it cannot forge lines of its own.
 */
export function emailMessage(notice: Notice): EmailMessage {
  const lines = [
    notice.title,
    notice.headline,
    `Run ${notice.runId}${notice.previousRunId ? ` compared with ${notice.previousRunId}` : ''}, ${notice.clusterCount}, ${notice.generatedAt}`,
    '',
    notice.reportUrl ? `Full report: ${notice.reportUrl}` : 'The full report is in the report store.',
  ];
  if (notice.linkValidity) lines.push(notice.linkValidity);
  const where = notice.reportUrl ? 'see the full report (link above)' : 'see the full report';
  const list = <T>(
    heading: string,
    items: readonly T[],
    cap: number,
    row: (item: T) => string,
    what: string,
  ) => {
    if (items.length === 0) return;
    lines.push('', heading);
    for (const item of items.slice(0, cap)) lines.push(`  - ${row(item)}`);
    if (items.length > cap) lines.push(`  ... and ${items.length - cap} more ${what}: ${where}.`);
  };
  const unread = notice.clusterStatus.some((cluster) => cluster.status !== 'complete');
  list(
    unread ? 'Clusters that could not be read completely' : 'Cluster status',
    notice.clusterStatus,
    EMAIL_LIST_CAPS.clusters,
    (cluster) =>
      `${cluster.cluster}: ${cluster.status}` +
      (cluster.previousStatus ? ` (was ${cluster.previousStatus})` : '') +
      (cluster.withheld ? ` - ${cluster.withheld}` : ''),
    'clusters',
  );
  list(
    notice.baseline ? 'Open findings, most important first' : 'New findings',
    notice.newFindings,
    EMAIL_LIST_CAPS.newFindings,
    (item) => findingLine(item, item.severity.toUpperCase()),
    notice.baseline ? 'open findings' : 'new findings',
  );
  list(
    'Resolved',
    notice.resolved,
    EMAIL_LIST_CAPS.resolved,
    (item) => findingLine(item, `resolved, was ${item.severity}`),
    'resolved findings',
  );
  list(
    'Severity changed',
    notice.severityChanges,
    EMAIL_LIST_CAPS.severityChanges,
    (item) => findingLine(item, `${item.from} -> ${item.severity}`),
    'severity changes',
  );
  list(
    'Node pools now ready to leave Docker Engine',
    notice.poolsBecameReady,
    EMAIL_LIST_CAPS.nodes,
    (entry) => `${entry.pool} in ${entry.cluster}`,
    'pools',
  );
  list(
    'Nodes that left Docker Engine',
    notice.nodesLeftDocker,
    EMAIL_LIST_CAPS.nodes,
    (entry) => `${entry.node} in ${entry.cluster}`,
    'nodes',
  );
  if (notice.notes.length > 0) lines.push('', 'Notes', ...notice.notes.map((note) => `  - ${note}`));
  lines.push('', '-- ', 'Sent by dockershim-audit. Change what is sent with --notify or the notify setting.');
  return { subject: emailSubject(notice.title), text: `${lines.join('\n')}\n` };
}

function findingLine(item: NoticeItem, label: string): string {
  const evidence = item.evidence ? ` (${item.evidence})` : '';
  const exempt = item.exempt ? ' [exempt]' : '';
  return `[${label}] ${item.resource} in ${item.cluster}: ${item.title}${evidence}${exempt} - ${item.id}`;
}

/** The title has no cluster data, but the subject rules are SNS's, so they are enforced here anyway. */
export function emailSubject(title: string): string {
  // SNS rejects control characters and non-ASCII in a subject.
  const ascii = title.replace(/[^\u0020-\u007e]/g, '?').trim();
  return ascii.length <= EMAIL_SUBJECT_MAX ? ascii : `${ascii.slice(0, EMAIL_SUBJECT_MAX - 3)}...`;
}
