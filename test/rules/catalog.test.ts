import { describe, expect, test } from 'vitest';
import { RULES } from '../../lambda/rules/catalog.ts';
import { SEVERITIES } from '../../lambda/rules/severity.ts';

describe('the rule catalog', () => {
  test('pins the rule ids: an id is never dropped or reused silently', () => {
    expect(RULES.map((rule) => rule.id)).toEqual([
      'DS001',
      'DS002',
      'DS003',
      'DS004',
      'DS005',
      'DS006',
      'DS007',
      'DS008',
      'DS009',
      'DS010',
      'DS011',
      'DS020',
      'DS021',
      'DS022',
      'DS023',
      'DS024',
      'DS030',
      'DS040',
      'DS041',
      'DS042',
      'DS050',
    ]);
  });

  test.each(RULES.map((rule) => [rule.id, rule] as const))('%s carries its metadata as data', (_, rule) => {
    expect(rule.title.length).toBeGreaterThan(10);
    expect(SEVERITIES).toContain(rule.severity);
    expect(rule.rationale.length).toBeGreaterThan(40);
    expect(rule.remediation.length).toBeGreaterThan(20);
    expect(rule.references.length).toBeGreaterThan(0);
    for (const reference of rule.references) expect(reference).toMatch(/^https:\/\//);
  });
});
