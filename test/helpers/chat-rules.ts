/**
 * The rules a chat service applies to a message, checked the way the service would before it
 * refuses one: Slack's Block Kit limits and the Adaptive Card schema as Teams reads it. Each
 * returns the violations found, so a failing test says which rule broke.
 */
import { isRecord } from '../../lambda/kube/objects.ts';

type Json = Record<string, unknown>;

/** Block Kit reference: 50 blocks; header plain_text ≤ 150; section text ≤ 3000; context ≤ 10 elements; message text ≤ 40000. */
export function slackViolations(message: unknown): string[] {
  const problems: string[] = [];
  if (!isRecord(message)) return ['the message is not a JSON object'];
  if (typeof message.text !== 'string' || message.text === '') problems.push('no fallback text');
  else if (message.text.length > 40_000)
    problems.push(`text has ${message.text.length} characters (> 40000)`);
  const blocks = message.blocks;
  if (!Array.isArray(blocks) || blocks.length === 0) return [...problems, 'no blocks'];
  if (blocks.length > 50) problems.push(`${blocks.length} blocks (> 50)`);
  blocks.forEach((block: unknown, index) => {
    const where = `blocks[${index}]`;
    if (!isRecord(block)) {
      problems.push(`${where} is not an object`);
      return;
    }
    const textOf = (value: unknown, max: number, kinds: readonly string[], at: string) => {
      if (!isRecord(value) || typeof value.text !== 'string' || !kinds.includes(String(value.type))) {
        problems.push(`${at} is not a ${kinds.join(' or ')} text object`);
        return;
      }
      if (value.text.length === 0 || value.text.length > max)
        problems.push(`${at} has ${value.text.length} characters (1..${max})`);
      if (value.type === 'mrkdwn') problems.push(...mrkdwnProblems(value.text, at));
    };
    switch (block.type) {
      case 'header':
        textOf(block.text, 150, ['plain_text'], `${where}.text`);
        break;
      case 'section':
        textOf(block.text, 3000, ['mrkdwn', 'plain_text'], `${where}.text`);
        break;
      case 'context': {
        const elements = block.elements;
        if (!Array.isArray(elements) || elements.length === 0 || elements.length > 10)
          problems.push(`${where}.elements must have 1..10 items`);
        else
          for (const [i, element] of elements.entries())
            textOf(element, 3000, ['mrkdwn', 'plain_text'], `${where}.elements[${i}]`);
        break;
      }
      case 'divider':
        break;
      default:
        problems.push(`${where} has an unexpected type ${String(block.type)}`);
    }
  });
  if (typeof message.text === 'string') problems.push(...mrkdwnProblems(message.text, 'text'));
  return problems;
}

/**
 * Slack reads `<...>` as a mention, channel or link and `&` as the start of an entity. In a
 * message built from cluster data, the only `<...>` allowed is a link to http(s), and every `&`
 * must be one of the three entities Slack decodes.
 */
function mrkdwnProblems(text: string, at: string): string[] {
  const problems: string[] = [];
  for (const match of text.matchAll(/<([^>]*)>/g)) {
    if (!/^https?:\/\/[^|\s]+\|[^|]+$/.test(match[1] ?? ''))
      problems.push(`${at} has a control sequence <${match[1]}>`);
  }
  if (/&(?!amp;|lt;|gt;)/.test(text)) problems.push(`${at} has a bare &`);
  return problems;
}

/** The links in a Slack message: `<url|label>` pairs, URL entities decoded. */
export function slackLinks(message: unknown): Array<{ url: string; label: string }> {
  return [...JSON.stringify(message).matchAll(/<(https?:\/\/[^|>]+)\|([^>]+)>/g)].map((match) => ({
    url: (match[1] ?? '').replace(/&amp;/g, '&'),
    label: match[2] ?? '',
  }));
}

/** All the text a Slack message shows, entities decoded, for "does it say X" checks. */
export function slackText(message: unknown): string {
  return collect(message, (node) => (typeof node.text === 'string' ? [node.text] : []))
    .join('\n')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

const CARD_ELEMENTS = new Set(['TextBlock', 'RichTextBlock', 'FactSet', 'Container', 'ColumnSet', 'Image']);

/**
 * A Teams Workflows message: `{ type: "message", attachments: [{ contentType: adaptive card, content }] }`,
 * the card with `type`, `version` and its elements' required properties (TextBlock.text,
 * RichTextBlock.inlines of TextRuns, FactSet.facts of title and value, Action.OpenUrl.url), and
 * under Teams' 28 KB message limit.
 */
export function adaptiveCardViolations(message: unknown): string[] {
  const problems: string[] = [];
  if (!isRecord(message)) return ['the message is not a JSON object'];
  if (message.type !== 'message') problems.push('type must be "message"');
  const size = Buffer.byteLength(JSON.stringify(message));
  if (size > 28 * 1024) problems.push(`${size} bytes (> 28 KB)`);
  const attachments = message.attachments;
  if (!Array.isArray(attachments) || attachments.length !== 1)
    return [...problems, 'exactly one attachment expected'];
  const attachment: unknown = attachments[0];
  if (!isRecord(attachment)) return [...problems, 'the attachment is not an object'];
  if (attachment.contentType !== 'application/vnd.microsoft.card.adaptive')
    problems.push(`contentType ${String(attachment.contentType)}`);
  const card = attachment.content;
  if (!isRecord(card)) return [...problems, 'no card in content'];
  if (card.type !== 'AdaptiveCard') problems.push('content.type must be "AdaptiveCard"');
  if (typeof card.version !== 'string' || !/^1\.[0-6]$/.test(card.version))
    problems.push(`version ${String(card.version)} is not one Teams renders (1.0..1.6)`);
  if (!Array.isArray(card.body) || card.body.length === 0) problems.push('body must be a non-empty array');
  else
    for (const [index, element] of card.body.entries())
      problems.push(...elementProblems(element, `body[${index}]`));
  if (card.actions !== undefined) {
    if (!Array.isArray(card.actions)) problems.push('actions must be an array');
    else
      card.actions.forEach((action: unknown, index) => {
        if (!isRecord(action) || action.type !== 'Action.OpenUrl')
          problems.push(`actions[${index}] is not Action.OpenUrl`);
        else {
          if (typeof action.title !== 'string' || action.title === '')
            problems.push(`actions[${index}] has no title`);
          if (typeof action.url !== 'string' || !URL.canParse(action.url))
            problems.push(`actions[${index}] has no valid url`);
        }
      });
  }
  return problems;
}

function elementProblems(element: unknown, at: string): string[] {
  if (!isRecord(element) || typeof element.type !== 'string') return [`${at} has no type`];
  if (!CARD_ELEMENTS.has(element.type)) return [`${at} has an unknown type ${element.type}`];
  switch (element.type) {
    case 'TextBlock':
      return typeof element.text === 'string' && element.text !== '' ? [] : [`${at}.text is required`];
    case 'RichTextBlock': {
      const inlines = element.inlines;
      if (!Array.isArray(inlines) || inlines.length === 0) return [`${at}.inlines is required`];
      return inlines.flatMap((inline: unknown, i) =>
        isRecord(inline) && inline.type === 'TextRun' && typeof inline.text === 'string'
          ? []
          : [`${at}.inlines[${i}] is not a TextRun with text`],
      );
    }
    case 'FactSet': {
      const facts = element.facts;
      if (!Array.isArray(facts) || facts.length === 0) return [`${at}.facts is required`];
      return facts.flatMap((fact: unknown, i) =>
        isRecord(fact) && typeof fact.title === 'string' && typeof fact.value === 'string'
          ? []
          : [`${at}.facts[${i}] needs title and value`],
      );
    }
    case 'Container':
      return Array.isArray(element.items)
        ? element.items.flatMap((item, i) => elementProblems(item, `${at}.items[${i}]`))
        : [`${at}.items is required`];
    default:
      return [];
  }
}

/** Text of a card that Adaptive Cards parse as Markdown: TextBlock text and facts. */
export function cardMarkdownTexts(message: unknown): string[] {
  return collect(message, (node) => {
    if (node.type === 'TextBlock' && typeof node.text === 'string') return [node.text];
    if (node.type === 'FactSet' && Array.isArray(node.facts))
      return node.facts.filter(isRecord).flatMap((fact) => [String(fact.title), String(fact.value)]);
    return [];
  });
}

/** Text of a card's TextRuns, which Adaptive Cards show as typed. */
export function cardTextRuns(message: unknown): string[] {
  return collect(message, (node) =>
    node.type === 'TextRun' && typeof node.text === 'string' ? [node.text] : [],
  );
}

/** Walks every object in a JSON value, depth first, gathering what `pick` finds in each. */
function collect(value: unknown, pick: (node: Json) => string[]): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => collect(item, pick));
  if (!isRecord(value)) return [];
  return [...pick(value), ...Object.values(value).flatMap((item) => collect(item, pick))];
}
