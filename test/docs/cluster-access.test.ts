import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { AUDITED_RESOURCES, CONFIGMAPS } from '../../lambda/collect/kube/discovery.ts';
import { CONFIG_MAP_REFERENCES } from '../../lambda/kube/config-map-refs.ts';
import { REPO_ROOT } from '../helpers/paths.ts';

/**
 * docs/cluster-access.md says, by hand, why each kind is read: the table must keep up with the
 * collector (the kinds and versions themselves are a generated table beside it).
 */
const page = readFileSync(join(REPO_ROOT, 'docs/cluster-access.md'), 'utf8');

/** The "what" column of the table of what a live audit reads, and why. */
function whatItReads(): string[] {
  const start = page.indexOf('What it reads, all with `list` only:');
  expect(start).toBeGreaterThan(0);
  const table = page.slice(start).split('\n\n')[1] ?? '';
  return table
    .split('\n')
    .slice(2)
    .map((row) => row.split(' | ')[0]?.replace(/^\|\s*/, '') ?? '');
}

describe('docs/cluster-access.md', () => {
  test('its table of what a live audit reads, and why, names every kind the collector lists, and nothing else', () => {
    const listed = [...AUDITED_RESOURCES, CONFIGMAPS].map((wanted) => `${wanted.kind}s`);
    const named = new Set(whatItReads().flatMap((row) => row.match(/\b[A-Z][A-Za-z]+s\b/g) ?? []));
    expect({
      missing: listed.filter((kind) => !named.has(kind)),
      extra: [...named].filter((kind) => !listed.includes(kind)),
    }).toEqual({ missing: [], extra: [] });
  });

  test('its ConfigMap row names every place a workload refers to a ConfigMap, as the collector reads them', () => {
    const row = page.split('\n').find((line) => line.startsWith('| ConfigMaps')) ?? '';
    expect(row).not.toBe('');
    expect(CONFIG_MAP_REFERENCES.filter((reference) => !row.includes(reference.what))).toEqual([]);
  });
});
