import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { AUDITED_RESOURCES, CONFIGMAPS } from '../lambda/collect/kube/discovery.ts';
import { CONFIG_MAP_REFERENCES } from '../lambda/kube/config-map-refs.ts';
import { README, withGeneratedSections } from '../scripts/update-readme.ts';

/** The "what" column of the table of what a live audit reads (README, "Live clusters"). */
function whatItReads(readme: string): string[] {
  const start = readme.indexOf('What it reads, all with `list` only:');
  const table = readme.slice(start).split('\n\n')[1] ?? '';
  return table
    .split('\n')
    .slice(2)
    .map((row) => row.split(' | ')[0]?.replace(/^\|\s*/, '') ?? '');
}

describe('README', () => {
  test('its rule catalog is generated from the code (run npm run docs)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(readme).toBe(withGeneratedSections(readme));
  });

  test('gives the two set-up commands', () => {
    const readme = readFileSync(README, 'utf8');
    expect(readme).toMatch(/^npm install\b/m);
    expect(readme).toMatch(/^npm start\b/m);
  });

  test('its table of what a live audit reads names every kind the collector lists, and nothing else', () => {
    const rows = whatItReads(readFileSync(README, 'utf8'));
    const listed = [...AUDITED_RESOURCES, CONFIGMAPS].map((wanted) => `${wanted.kind}s`);
    const named = new Set(rows.flatMap((row) => row.match(/\b[A-Z][A-Za-z]+s\b/g) ?? []));
    expect({
      missing: listed.filter((kind) => !named.has(kind)),
      extra: [...named].filter((kind) => !listed.includes(kind)),
    }).toEqual({
      missing: [],
      extra: [],
    });
  });

  test('its ConfigMap row names every place a workload refers to a ConfigMap, as the collector reads them', () => {
    const readme = readFileSync(README, 'utf8');
    const row = readme.split('\n').find((line) => line.startsWith('| ConfigMaps')) ?? '';
    expect(CONFIG_MAP_REFERENCES.filter((reference) => !row.includes(reference.what))).toEqual([]);
  });
});
