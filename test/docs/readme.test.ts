import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import MarkdownIt from 'markdown-it';
import { describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.ts';

/** README is the front door: short, and it leads to every page of docs/. */
const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const markdown = new MarkdownIt();

describe('README', () => {
  test('stays short: at most 300 lines, the rest in docs/', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(300);
  });

  test('leads to every page under docs/', () => {
    const hrefs = new Set<string>();
    const visit = (tokens: ReturnType<typeof markdown.parse>) => {
      for (const token of tokens) {
        if (token.type === 'link_open') hrefs.add(String(token.attrGet('href') ?? '').split('#')[0] ?? '');
        if (token.children) visit(token.children);
      }
    };
    visit(markdown.parse(readme, {}));
    const pages = readdirSync(join(REPO_ROOT, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .map((name) => `docs/${name}`);
    expect(pages.length).toBeGreaterThan(0);
    expect(pages.filter((page) => !hrefs.has(page))).toEqual([]);
  });
});
