/**
 * Escaping for text that came from a cluster, per target. HTML escaping is Handlebars' own
 * (`{{value}}`, never `{{{value}}}` on cluster data); Markdown has its own rules.
 */

/**
 * Characters that start inline Markdown anywhere in a line: code spans, emphasis, links and
 * images (`[`, `]`; `(` only means something after `]`), table cells, strikethrough, GitHub
 * issue references and math. Escaped with a backslash, which GFM turns back into the character.
 */
const MARKDOWN_INLINE = /[\\`*_[\]|~#$!]/g;
/** Anything escapeMarkdown would change; a string without any of it is returned as it is. */
const NEEDS_MARKDOWN_ESCAPE =
  /[\\`*_[\]|~#$!&<>@\r\n\u2028\u2029]|:\/\/|www\.|^\s*(?:[-+=]|\d+[.)](?:\s|$))/i;
/** What starts a block when it opens a line: lists, quotes, headings, setext underlines, rules. */
const MARKDOWN_BLOCK_START = /^(\s*)([-+=]|\d+[.)](?=\s|$))/;

/**
 * Escapes text for GitHub-flavoured Markdown so that it renders as the same characters:
 * no emphasis, links, images, code spans, table cells, raw HTML or mentions can be forged,
 * wherever the template puts it; URLs stay text. Line breaks become spaces: a value stays on its line.
 */
export function escapeMarkdown(text: string): string {
  // Most values (names, ids, versions) hold nothing to escape: keep them as they are, cheaply.
  if (!NEEDS_MARKDOWN_ESCAPE.test(text)) return text;
  // Backslashes first, entities after: an entity's own `#` must not be escaped.
  return (
    text
      .replace(MARKDOWN_INLINE, (character) => `\\${character}`)
      // GFM links bare URLs; an escape inside `://` or `www.` keeps them text.
      .replace(/\b([a-z][a-z0-9+.-]*):(?=\/\/)/gi, '$1\\:')
      .replace(/\b(www)\./gi, '$1\\.')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/@/g, '&#64;')
      .replace(/\r\n|[\r\n\u2028\u2029]/g, ' ')
      .replace(
        MARKDOWN_BLOCK_START,
        (_, space: string, marker: string) => `${space}${marker.slice(0, -1)}\\${marker.slice(-1)}`,
      )
  );
}

/**
 * Text shown exactly as it is, as code people paste (a runbook): not escaped for Markdown, since a
 * fenced code block shows everything but its closing fence literally. The fence is longer than
 * any run of backticks in the text, so nothing inside can close it. HTML escapes it as any text.
 * A class, not a shape: nothing parsed from a cluster or a file can pass for one.
 */
export class CodeBlock {
  readonly fence: string;
  readonly text: string;

  constructor(lines: readonly string[]) {
    // Control characters other than line breaks have no business in a command: shown as `?`.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing them is the point
    this.text = lines.join('\n').replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
    const longest = Math.max(0, ...[...this.text.matchAll(/`+/g)].map((match) => match[0].length));
    this.fence = '`'.repeat(Math.max(3, longest + 1));
  }
}

/**
 * Applies `escape` to every string in a JSON-like value, keeping its shape; code blocks stay as they are. A report repeats
 * the same texts (titles, remediations) and shares objects between views thousands of times:
 * each distinct string is escaped once and each shared object copied once.
 */
export function escapeStrings<T>(value: T, escapeText: (text: string) => string): T {
  const strings = new Map<string, string>();
  const objects = new Map<object, unknown>();
  const visit = (item: unknown): unknown => {
    if (typeof item === 'string') {
      let escaped = strings.get(item);
      if (escaped === undefined) {
        escaped = escapeText(item);
        strings.set(item, escaped);
      }
      return escaped;
    }
    if (item === null || typeof item !== 'object') return item;
    if (item instanceof CodeBlock) return item;
    const seen = objects.get(item);
    if (seen !== undefined) return seen;
    const copy: unknown = Array.isArray(item)
      ? item.map(visit)
      : Object.fromEntries(Object.entries(item).map(([key, child]) => [key, visit(child)]));
    objects.set(item, copy);
    return copy;
  };
  return visit(value) as T;
}
