import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { README, withGeneratedSections } from '../scripts/update-readme.ts';

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
});
