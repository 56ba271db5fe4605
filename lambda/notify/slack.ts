import type { Severity } from '../rules/severity.ts';
import { clip, type Notice, type NoticeItem } from './notice.ts';

/**
 * Slack's limits for an incoming-webhook message (Block Kit reference): 50 blocks, 150 characters
 * of header text, 3000 characters of section text, 10 context elements. Lengths are counted in
 * UTF-16 units here, which is never less than what Slack counts.
 */
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  contextElements: 10,
  contextText: 2000,
  /** The notification and fallback text; Slack allows more, but a preview never shows more. */
  fallbackText: 3000,
} as const;

/** How many of each list a message shows at most; the report has them all. */
export const SLACK_LIST_CAPS = {
  clusters: 10,
  newFindings: 20,
  resolved: 10,
  severityChanges: 10,
  nodes: 20,
} as const;

export interface SlackMrkdwn {
  type: 'mrkdwn';
  text: string;
  /** Slack must not turn names in the text into links or mentions on its own. */
  verbatim: true;
}

export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji: true } }
  | { type: 'section'; text: SlackMrkdwn }
  | { type: 'context'; elements: SlackMrkdwn[] }
  | { type: 'divider' };

export interface SlackMessage {
  /** Shown in notifications and by clients that cannot show blocks. */
  text: string;
  blocks: SlackBlock[];
  unfurl_links: false;
  unfurl_media: false;
}

/**
 * Slack's control characters in mrkdwn are `&`, `<` and `>`: escaped, `<!channel>`, `<@U123>` or
 * `<http://x|y>` from a cluster show as typed and cannot ping anyone or forge a link.
 */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cluster text in a code span: Slack applies no bold, italics or strike inside, so `*` and `_` stay as typed. */
function code(text: string): string {
  if (text === '') return '';
  // A backtick would close the span; the modifier letter looks the same and cannot.
  return `\`${escapeSlack(text.replace(/`/g, 'ˋ'))}\``;
}

/** `<url|label>`; characters that would end the URL part early are percent-encoded. */
export function slackLink(url: string, label: string): string {
  const safeUrl = url.replace(/&/g, '&amp;').replace(/</g, '%3C').replace(/>/g, '%3E').replace(/\|/g, '%7C');
  return `<${safeUrl}|${escapeSlack(label)}>`;
}

const SEVERITY_EMOJI: Record<Severity, string> = {
  critical: ':red_circle:',
  high: ':large_orange_circle:',
  medium: ':large_yellow_circle:',
  low: ':large_blue_circle:',
  info: ':white_circle:',
};

/** A line longer than this is built again with tighter clipping, so any one line fits a section. */
const MAX_LINE = 1200;
/** Room kept in the last section of a list for its "…and N more" line. */
const MORE_ROOM = 120;

/** The Block Kit message for a notice. Pure: the same notice gives the same message. */
export function slackMessage(notice: Notice): SlackMessage {
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: clip(notice.title, SLACK_LIMITS.headerText), emoji: true },
    },
    section(`*${escapeSlack(notice.headline)}*`),
    context([runLine(notice)]),
  ];
  const link =
    notice.reportUrl !== undefined && notice.reportUrl.length < SLACK_LIMITS.sectionText - 400
      ? slackLink(notice.reportUrl, 'Open the full report')
      : undefined;
  const footer: SlackBlock[] = [];
  if (notice.notes.length > 0) {
    footer.push(
      context(notice.notes.slice(0, SLACK_LIMITS.contextElements).map((note) => escapeSlack(note))),
    );
  }
  footer.push(
    section(
      link
        ? `:page_facing_up: ${link}${notice.linkValidity ? ` ${escapeSlack(notice.linkValidity)}` : ''}`
        : notice.reportUrl
          ? ':page_facing_up: The link to the full report is too long for Slack; the report is in the store.'
          : ':page_facing_up: The full report is in the report store.',
    ),
  );
  const where = link ? 'see the full report (link below)' : 'see the full report';
  const lists = listsOf(notice, where);
  let budget = SLACK_LIMITS.blocks - blocks.length - footer.length;
  lists.forEach((list, index) => {
    const stillToCome = lists.length - index - 1;
    const listBlocks = packList(list, Math.max(1, budget - stillToCome));
    blocks.push(...listBlocks);
    budget -= listBlocks.length;
  });
  blocks.push(...footer);
  return { text: fallbackText(notice), blocks, unfurl_links: false, unfurl_media: false };
}

interface SlackList {
  heading: string;
  lines: string[];
  cap: number;
  more: (count: number) => string;
}

function listsOf(notice: Notice, where: string): SlackList[] {
  const lists: SlackList[] = [];
  const unread = notice.clusterStatus.some((cluster) => cluster.status !== 'complete');
  if (notice.clusterStatus.length > 0) {
    lists.push({
      heading: unread ? ':warning: *Clusters that could not be read completely*' : '*Cluster status*',
      lines: notice.clusterStatus.map((cluster) => {
        const was = cluster.previousStatus ? ` (was ${cluster.previousStatus})` : '';
        const withheld = cluster.withheld ? ` — ${escapeSlack(cluster.withheld)}` : '';
        return `• ${code(cluster.cluster)}: *${cluster.status}*${was}${withheld}`;
      }),
      cap: SLACK_LIST_CAPS.clusters,
      more: (count) => `…and ${count} more clusters: ${where}`,
    });
  }
  if (notice.newFindings.length > 0) {
    lists.push({
      heading: notice.baseline ? '*Open findings, most important first*' : '*New findings*',
      lines: notice.newFindings.map((item) => findingLine(item, SEVERITY_EMOJI[item.severity])),
      cap: SLACK_LIST_CAPS.newFindings,
      more: (count) => `…and ${count} more ${notice.baseline ? 'open' : 'new'} findings: ${where}`,
    });
  }
  if (notice.resolved.length > 0) {
    lists.push({
      heading: '*Resolved*',
      lines: notice.resolved.map((item) => findingLine(item, ':white_check_mark:')),
      cap: SLACK_LIST_CAPS.resolved,
      more: (count) => `…and ${count} more resolved findings: ${where}`,
    });
  }
  if (notice.severityChanges.length > 0) {
    lists.push({
      heading: '*Severity changed*',
      lines: notice.severityChanges.map((item) =>
        findingLine(item, SEVERITY_EMOJI[item.severity], `${item.from} → ${item.severity}`),
      ),
      cap: SLACK_LIST_CAPS.severityChanges,
      more: (count) => `…and ${count} more severity changes: ${where}`,
    });
  }
  if (notice.poolsBecameReady.length > 0) {
    lists.push({
      heading: '*Node pools now ready to leave Docker Engine*',
      lines: notice.poolsBecameReady.map(
        (entry) => `:white_check_mark: ${code(entry.pool)} in ${code(entry.cluster)}`,
      ),
      cap: SLACK_LIST_CAPS.nodes,
      more: (count) => `…and ${count} more pools: ${where}`,
    });
  }
  if (notice.nodesLeftDocker.length > 0) {
    lists.push({
      heading: '*Nodes that left Docker Engine*',
      lines: notice.nodesLeftDocker.map((entry) => `:tada: ${code(entry.node)} in ${code(entry.cluster)}`),
      cap: SLACK_LIST_CAPS.nodes,
      more: (count) => `…and ${count} more nodes: ${where}`,
    });
  }
  return lists;
}

/** Packs a heading and lines into as few sections as fit, at most `maxBlocks`, ending with "…and N more". */
function packList(list: SlackList, maxBlocks: number): SlackBlock[] {
  const texts = [list.heading];
  const limit = SLACK_LIMITS.sectionText - MORE_ROOM;
  let shown = 0;
  for (const line of list.lines.slice(0, list.cap)) {
    const last = texts.length - 1;
    const joined = `${texts[last]}\n${line}`;
    if (joined.length <= limit) texts[last] = joined;
    else if (texts.length < maxBlocks) texts.push(line);
    else break;
    shown++;
  }
  const hidden = list.lines.length - shown;
  if (hidden > 0) texts[texts.length - 1] += `\n${escapeSlack(list.more(hidden))}`;
  return texts.map(section);
}

function findingLine(item: NoticeItem, marker: string, change?: string): string {
  const build = (tight: boolean) => {
    const clipIf = (text: string, max: number) => (tight ? clip(text, max) : text);
    const evidence = item.evidence ? ` — ${code(clipIf(item.evidence, 40))}` : '';
    const exempt = item.exempt ? ' _(exempt)_' : '';
    const label = change ? escapeSlack(change) : capitalise(item.severity);
    return `${marker} *${label}* ${code(clipIf(item.resource, 60))} in ${code(clipIf(item.cluster, 30))}: ${escapeSlack(clipIf(item.title, 100))}${evidence}${exempt} · ${code(clipIf(item.id, 40))}`;
  };
  const line = build(false);
  return line.length <= MAX_LINE ? line : build(true);
}

function runLine(notice: Notice): string {
  const compared = notice.previousRunId ? ` compared with ${code(notice.previousRunId)}` : '';
  return `Run ${code(notice.runId)}${compared} · ${notice.clusterCount} · ${escapeSlack(notice.generatedAt)}`;
}

/** No cluster data: only the tool's own counts and the link. */
function fallbackText(notice: Notice): string {
  const text = `${escapeSlack(notice.title)}. ${escapeSlack(notice.headline)}`;
  const withLink = notice.reportUrl ? `${text} ${slackLink(notice.reportUrl, 'Full report')}` : text;
  return withLink.length <= SLACK_LIMITS.fallbackText ? withLink : clip(text, SLACK_LIMITS.fallbackText);
}

function section(text: string): SlackBlock {
  return { type: 'section', text: { type: 'mrkdwn', text, verbatim: true } };
}

function context(texts: string[]): SlackBlock {
  return {
    type: 'context',
    elements: texts.map((text) => ({
      type: 'mrkdwn',
      text: clip(text, SLACK_LIMITS.contextText),
      verbatim: true,
    })),
  };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
