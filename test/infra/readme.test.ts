import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CONTEXT_KEYS, DEFAULTS } from '../../infra/settings.ts';
import { cdkJsonContext } from '../helpers/infra.ts';
import { REPO_ROOT } from '../helpers/paths.ts';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

/** The rows of README's deployment configuration table: key → default, as written. */
function referenceTable(): Map<string, string> {
  const start = readme.indexOf('### Configuration reference (deployment)');
  expect(start).toBeGreaterThan(0);
  const section = readme.slice(start, readme.indexOf('\n### ', start + 1));
  const rows = new Map<string, string>();
  for (const match of section.matchAll(/^\| `([A-Za-z]+)` \| ([^|]+) \|/gm)) {
    rows.set(match[1] as string, (match[2] as string).trim());
  }
  return rows;
}

describe('README, deployment', () => {
  test('the configuration reference lists every setting the app reads, and no other', () => {
    expect([...referenceTable().keys()].sort()).toEqual([...CONTEXT_KEYS].sort());
  });

  test('each default in the reference is the one the app uses', () => {
    const table = referenceTable();
    for (const [key, value] of Object.entries(DEFAULTS)) {
      const written = table.get(key)?.replace(/^`|`$/g, '');
      expect(written, key).toBe(typeof value === 'string' ? value : JSON.stringify(value));
    }
  });

  test("cdk.json holds only settings the app knows (besides CDK's own)", () => {
    const ours = Object.keys(cdkJsonContext()).filter((key) => /^[A-Za-z]+$/.test(key));
    for (const key of ours) expect(CONTEXT_KEYS as readonly string[]).toContain(key);
  });

  test('deploys in a few commands', () => {
    expect(readme).toMatch(/^npx cdk bootstrap\b/m);
    expect(readme).toMatch(/^npx cdk deploy\b/m);
    expect(readme).toMatch(/^npx cdklocal deploy\b/m);
  });
});
