/**
 * Escaping for text that came from a cluster, per target. HTML escaping is Handlebars' own
 * (`{{value}}`, never `{{{value}}}` on cluster data); Markdown has its own rules.
 */

const MARKDOWN_SPECIAL = /[\\`*_{}[\]()#+!|~>-]/g;

/**
 * Escapes text for GitHub-flavoured Markdown so that it renders as the same characters:
 * no emphasis, links, images, code spans, table cells, raw HTML or mentions can be forged.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/@/g, '&#64;')
    .replace(MARKDOWN_SPECIAL, (character) => (character === '>' ? '&gt;' : `\\${character}`))
    .replace(/\r?\n/g, ' ');
}

/** Applies `escape` to every string in a JSON-like value, keeping its shape. */
export function escapeStrings<T>(value: T, escapeText: (text: string) => string): T {
  if (typeof value === 'string') return escapeText(value) as T;
  if (Array.isArray(value)) return value.map((item) => escapeStrings(item, escapeText)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, escapeStrings(item, escapeText)]),
    ) as T;
  }
  return value;
}
