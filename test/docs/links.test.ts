import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import MarkdownIt from 'markdown-it';
import { describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.ts';

/**
 * Every link in README.md and docs/ that points into the repository leads somewhere: the file
 * exists, and an anchor names a heading of that file as GitHub makes its id.
 */
const markdown = new MarkdownIt({ html: true });

const FILES = ['README.md', ...readdirSync(join(REPO_ROOT, 'docs')).map((name) => `docs/${name}`)].filter(
  (path) => path.endsWith('.md'),
);

type Token = ReturnType<typeof markdown.parse>[number];

/** The text of an inline token, code spans included, as GitHub reads a heading. */
function plainText(token: Token): string {
  return (token.children ?? [])
    .filter((child) => child.type === 'text' || child.type === 'code_inline')
    .map((child) => child.content)
    .join('');
}

/** GitHub's heading ids: lower case, punctuation dropped but `-` and `_`, spaces to `-`, repeats numbered. */
function headingIds(text: string): Set<string> {
  const tokens = markdown.parse(text, {});
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  tokens.forEach((token, index) => {
    if (token.type !== 'heading_open') return;
    const base = plainText(tokens[index + 1] as Token)
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    ids.add(count === 0 ? base : `${base}-${count}`);
  });
  return ids;
}

function links(text: string): string[] {
  const found: string[] = [];
  const visit = (tokens: Token[]) => {
    for (const token of tokens) {
      if (token.type === 'link_open') found.push(String(token.attrGet('href') ?? ''));
      if (token.children) visit(token.children);
    }
  };
  visit(markdown.parse(text, {}));
  return found;
}

function brokenLinks(file: string, text = readFileSync(join(REPO_ROOT, file), 'utf8')): string[] {
  const broken: string[] = [];
  for (const href of links(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue; // https:, mailto:
    const [path = '', anchor] = href.split('#');
    if (path === '') {
      if (anchor !== undefined && !headingIds(text).has(anchor)) broken.push(`${href} (no such heading)`);
      continue;
    }
    const target = join(REPO_ROOT, dirname(file), decodeURI(path));
    if (relative(REPO_ROOT, target).startsWith('..')) broken.push(`${href} (outside the repository)`);
    else if (!existsSync(target)) broken.push(`${href} (no such file)`);
    else if (anchor !== undefined && (statSync(target).isDirectory() || !target.endsWith('.md')))
      broken.push(`${href} (an anchor into a file that is not Markdown)`);
    else if (anchor !== undefined && !headingIds(readFileSync(target, 'utf8')).has(anchor))
      broken.push(`${href} (no such heading)`);
  }
  return broken;
}

describe('links in the Markdown', () => {
  test.each(FILES)('%s: every link into the repository leads to a file and heading that exist', (file) => {
    expect(brokenLinks(file)).toEqual([]);
  });

  test('the checker finds what it is meant to find', () => {
    // GitHub's ids for headings with code and punctuation.
    expect(
      headingIds('## `--kubelet-config` and `nodes/proxy`\n## Evidence and `verify`\n## A\n## A'),
    ).toEqual(new Set(['--kubelet-config-and-nodesproxy', 'evidence-and-verify', 'a', 'a-1']));
    expect(links('[a](docs/x.md#y) and `[b](not-a-link)`')).toEqual(['docs/x.md#y']);
    const page = [
      '[fine](cli.md#exit-codes) [fine too](../deploy/rbac.yaml) [web](https://example.com/#x)',
      '[no file](nowhere.md) [no heading](cli.md#nowhere) [not markdown](../deploy/rbac.yaml#x)',
      '[up and out](../../etc/passwd) [here](#no-such-heading)',
      '## A heading [on this page](#a-heading-on-this-page)',
    ].join('\n');
    expect(brokenLinks('docs/page.md', page)).toEqual([
      'nowhere.md (no such file)',
      'cli.md#nowhere (no such heading)',
      '../deploy/rbac.yaml#x (an anchor into a file that is not Markdown)',
      '../../etc/passwd (outside the repository)',
      '#no-such-heading (no such heading)',
    ]);
  });
});
