import type { SeverityCounts } from '../report/model.ts';
import { type Severity, severityBreakdown } from '../rules/severity.ts';
import { clip, type Notice, type NoticeItem } from './notice.ts';

/**
 * Microsoft Teams through a Workflows webhook ("When a Teams webhook request is received"):
 * a message with one Adaptive Card attachment. Version 1.4 is what Teams renders on desktop,
 * web and mobile alike.
 */
export const ADAPTIVE_CARD_VERSION = '1.4';
export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
/** Teams refuses messages over about 28 KB; the card stays under this many bytes of JSON. */
export const TEAMS_MAX_BYTES = 25_000;

export interface TextRun {
  type: 'TextRun';
  text: string;
  weight?: 'Bolder';
  color?: 'Attention' | 'Warning' | 'Accent' | 'Good' | 'Default';
  fontType?: 'Monospace';
  isSubtle?: boolean;
}

export type CardElement =
  | {
      type: 'TextBlock';
      text: string;
      wrap: true;
      size?: 'Large' | 'Medium';
      weight?: 'Bolder';
      isSubtle?: boolean;
      separator?: boolean;
      spacing?: 'Medium';
    }
  | { type: 'RichTextBlock'; inlines: TextRun[]; separator?: boolean }
  | { type: 'FactSet'; facts: Array<{ title: string; value: string }> };

export interface AdaptiveCard {
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  type: 'AdaptiveCard';
  version: typeof ADAPTIVE_CARD_VERSION;
  /** Teams shows the card across the whole conversation, not in a narrow bubble. */
  msteams: { width: 'Full' };
  body: CardElement[];
  actions: Array<{ type: 'Action.OpenUrl'; title: string; url: string }>;
}

export interface TeamsMessage {
  type: 'message';
  attachments: Array<{
    contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE;
    contentUrl: null;
    content: AdaptiveCard;
  }>;
}

const SEVERITY_COLOUR: Record<Severity, TextRun['color']> = {
  critical: 'Attention',
  high: 'Attention',
  medium: 'Warning',
  low: 'Accent',
  info: 'Default',
};

interface Caps {
  clusters: number;
  newFindings: number;
  resolved: number;
  severityChanges: number;
  nodes: number;
  /** Longest piece of cluster text. */
  field: number;
}

const START_CAPS: Caps = {
  clusters: 10,
  newFindings: 15,
  resolved: 10,
  severityChanges: 10,
  nodes: 20,
  field: 200,
};

/**
 * The Teams message for a notice. Adaptive Cards parse Markdown in TextBlock and FactSet text but
 * never in a RichTextBlock's TextRuns, so everything from a cluster goes into TextRuns: a
 * `[link](http://...)`, `**` or `<at>` in a pod name is shown as typed. TextBlocks and facts hold
 * only the tool's own words and numbers. Lists shrink until the card fits Teams' size limit.
 */
export function teamsMessage(notice: Notice): TeamsMessage {
  let caps = START_CAPS;
  let message = build(notice, caps);
  while (byteLength(message) > TEAMS_MAX_BYTES && caps.field > 20) {
    caps = {
      clusters: Math.max(1, Math.floor(caps.clusters / 2)),
      newFindings: Math.max(1, Math.floor(caps.newFindings / 2)),
      resolved: Math.max(1, Math.floor(caps.resolved / 2)),
      severityChanges: Math.max(1, Math.floor(caps.severityChanges / 2)),
      nodes: Math.max(1, Math.floor(caps.nodes / 2)),
      field: Math.floor(caps.field / 2),
    };
    message = build(notice, caps);
  }
  return message;
}

function build(notice: Notice, caps: Caps): TeamsMessage {
  const where = notice.reportUrl ? 'see the full report (button below)' : 'see the full report';
  const body: CardElement[] = [
    { type: 'TextBlock', text: notice.title, wrap: true, size: 'Large', weight: 'Bolder' },
    { type: 'FactSet', facts: facts(notice) },
    { type: 'RichTextBlock', inlines: runLine(notice, caps.field) },
  ];
  const list = <T>(
    heading: string,
    items: readonly T[],
    cap: number,
    row: (item: T) => TextRun[],
    what: string,
  ) => {
    if (items.length === 0) return;
    body.push({
      type: 'TextBlock',
      text: heading,
      wrap: true,
      weight: 'Bolder',
      separator: true,
      spacing: 'Medium',
    });
    for (const item of items.slice(0, cap)) body.push({ type: 'RichTextBlock', inlines: row(item) });
    if (items.length > cap)
      body.push({
        type: 'TextBlock',
        text: `…and ${items.length - cap} more ${what}: ${where}.`,
        wrap: true,
        isSubtle: true,
      });
  };
  const unread = notice.clusterStatus.some((cluster) => cluster.status !== 'complete');
  list(
    unread ? '⚠️ Clusters that could not be read completely' : 'Cluster status',
    notice.clusterStatus,
    caps.clusters,
    (cluster) => {
      const runs: TextRun[] = [
        { type: 'TextRun', text: clip(cluster.cluster, caps.field), fontType: 'Monospace' },
        { type: 'TextRun', text: `: ${cluster.status}`, weight: 'Bolder' },
      ];
      if (cluster.previousStatus) runs.push({ type: 'TextRun', text: ` (was ${cluster.previousStatus})` });
      if (cluster.withheld)
        runs.push({ type: 'TextRun', text: ` — ${clip(cluster.withheld, caps.field)}`, isSubtle: true });
      return runs;
    },
    'clusters',
  );
  list(
    notice.baseline ? 'Open findings, most important first' : 'New findings',
    notice.newFindings,
    caps.newFindings,
    (item) => findingRuns(item, caps.field),
    notice.baseline ? 'open findings' : 'new findings',
  );
  list(
    'Resolved',
    notice.resolved,
    caps.resolved,
    (item) => findingRuns(item, caps.field, 'resolved'),
    'resolved findings',
  );
  list(
    'Severity changed',
    notice.severityChanges,
    caps.severityChanges,
    (item) => findingRuns(item, caps.field, `${item.from} → ${item.severity}`),
    'severity changes',
  );
  // A name and its cluster, both as cluster text in monospace runs.
  const inCluster = (name: string, cluster: string): TextRun[] => [
    { type: 'TextRun', text: clip(name, caps.field), fontType: 'Monospace' },
    { type: 'TextRun', text: ' in ' },
    { type: 'TextRun', text: clip(cluster, caps.field), fontType: 'Monospace' },
  ];
  list(
    'Node pools now ready to leave Docker Engine',
    notice.poolsBecameReady,
    caps.nodes,
    (entry) => inCluster(entry.pool, entry.cluster),
    'pools',
  );
  list(
    'Nodes that left Docker Engine',
    notice.nodesLeftDocker,
    caps.nodes,
    (entry) => inCluster(entry.node, entry.cluster),
    'nodes',
  );
  for (const note of notice.notes.slice(0, 5))
    body.push({
      type: 'RichTextBlock',
      inlines: [{ type: 'TextRun', text: clip(note, caps.field), isSubtle: true }],
    });
  // The tool's own words and a date: safe in a TextBlock.
  if (notice.reportUrl && notice.linkValidity)
    body.push({ type: 'TextBlock', text: notice.linkValidity, wrap: true, isSubtle: true });
  const card: AdaptiveCard = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: ADAPTIVE_CARD_VERSION,
    msteams: { width: 'Full' },
    body,
    actions: notice.reportUrl
      ? [{ type: 'Action.OpenUrl', title: 'Open the full report', url: notice.reportUrl }]
      : [],
  };
  return {
    type: 'message',
    attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content: card }],
  };
}

/** The headline as facts: the tool's own numbers only. */
function facts(notice: Notice): Array<{ title: string; value: string }> {
  const { counts } = notice;
  const withSeverity = (count: number, bySev: SeverityCounts) =>
    count > 0 ? `${count} (${severityBreakdown(bySev)})` : String(count);
  if (notice.baseline)
    return [{ title: 'Open findings', value: withSeverity(counts.stillOpen, counts.newBySeverity) }];
  const rows = [
    { title: 'New', value: withSeverity(counts.new, counts.newBySeverity) },
    { title: 'Resolved', value: withSeverity(counts.resolved, counts.resolvedBySeverity) },
    { title: 'Still open', value: String(counts.stillOpen) },
  ];
  if (counts.severityChanged > 0)
    rows.push({ title: 'Severity changed', value: String(counts.severityChanged) });
  return rows;
}

function findingRuns(item: NoticeItem, field: number, change?: string): TextRun[] {
  const runs: TextRun[] = [
    change === 'resolved'
      ? { type: 'TextRun', text: `✔ ${item.severity}`, weight: 'Bolder', color: 'Good' }
      : {
          type: 'TextRun',
          text: change ?? item.severity.toUpperCase(),
          weight: 'Bolder',
          color: SEVERITY_COLOUR[item.severity],
        },
    { type: 'TextRun', text: ' ' },
    { type: 'TextRun', text: clip(item.resource, field), fontType: 'Monospace' },
    { type: 'TextRun', text: ' in ' },
    { type: 'TextRun', text: clip(item.cluster, field), fontType: 'Monospace' },
    { type: 'TextRun', text: `: ${clip(item.title, field)}` },
  ];
  if (item.evidence)
    runs.push({ type: 'TextRun', text: ` — ${clip(item.evidence, field)}`, fontType: 'Monospace' });
  if (item.exempt) runs.push({ type: 'TextRun', text: ' (exempt)', isSubtle: true });
  runs.push({ type: 'TextRun', text: ` · ${item.id}`, isSubtle: true });
  return runs;
}

function runLine(notice: Notice, field: number): TextRun[] {
  const compared = notice.previousRunId ? ` compared with ${clip(notice.previousRunId, field)}` : '';
  return [
    {
      type: 'TextRun',
      text: `Run ${clip(notice.runId, field)}${compared} · ${notice.clusterCount} · ${notice.generatedAt}`,
      isSubtle: true,
    },
  ];
}

function byteLength(message: TeamsMessage): number {
  return Buffer.byteLength(JSON.stringify(message));
}
