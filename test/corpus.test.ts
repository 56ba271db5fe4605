import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import type { Report } from '../lambda/report/model.ts';
import { CORPUS_DIR, REPO_ROOT } from './helpers/paths.ts';
import { assertValidReport } from './helpers/report-schema.ts';
import { runCli } from './helpers/run-cli.ts';

interface Expectation {
  file: string;
  resource: string;
  accept: string[];
}

const expectations = parse(readFileSync(join(CORPUS_DIR, 'expected.yaml'), 'utf8')) as Expectation[];
const files = [...new Set(expectations.map((expectation) => expectation.file))];

/** The highest severity of each resource; `none` stands for "nothing above info", as expected.yaml defines it. */
function verdicts(report: Report): Map<string, string> {
  const map = new Map<string, string>();
  for (const workload of report.clusters[0]?.workloads ?? []) {
    const key = `${workload.resource.kind}/${workload.resource.namespace ?? ''}/${workload.resource.name}`;
    map.set(key, workload.verdict);
  }
  return map;
}

function accepted(verdict: string | undefined, accept: string[]): boolean {
  if (verdict === undefined || verdict === 'info')
    return accept.includes('none') || accept.includes(verdict ?? 'none');
  return accept.includes(verdict);
}

describe('every corpus resource gets a verdict that expected.yaml accepts (through the CLI)', () => {
  test.concurrent.each(files)('%s', async (file) => {
    const out = await mkdtemp(join(tmpdir(), 'dsa-corpus-'));
    const run = await runCli([
      'scan',
      '--manifests',
      join(CORPUS_DIR, file),
      '--out',
      out,
      '--format',
      'json',
      '--quiet',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report: unknown = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assertValidReport(report);
    expect(report.clusters[0]?.status).toBe('complete');
    const found = verdicts(report);
    const listed = expectations.filter((expectation) => expectation.file === file);
    for (const expectation of listed) {
      const keys = expectation.resource === '*' ? [...found.keys()] : [expectation.resource];
      for (const key of keys) {
        expect({
          resource: key,
          verdict: found.get(key) ?? 'none',
          ok: accepted(found.get(key), expectation.accept),
        }).toEqual({
          resource: key,
          verdict: found.get(key) ?? 'none',
          ok: true,
        });
      }
    }
    // Resources the file holds but expected.yaml does not list must get none or info.
    const covered = new Set(listed.map((expectation) => expectation.resource));
    if (!covered.has('*')) {
      for (const [key, verdict] of found)
        if (!covered.has(key)) expect({ resource: key, verdict }).toEqual({ resource: key, verdict: 'info' });
    }
  });
});

describe('the corpus copy', () => {
  const listFiles = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) =>
      statSync(join(dir, name)).isDirectory() ? listFiles(join(dir, name)) : [join(dir, name)],
    );
  const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

  test('holds every file SOURCES.md lists', () => {
    const sources = readFileSync(join(CORPUS_DIR, 'SOURCES.md'), 'utf8');
    const named = [...sources.matchAll(/^## (\S+)$/gm)].map((match) => match[1] ?? '');
    expect(named.length).toBeGreaterThan(40);
    for (const file of named) expect(existsSync(join(CORPUS_DIR, file)), file).toBe(true);
  });

  test('is byte-identical to the shared corpus when that is present', () => {
    const shared = join(REPO_ROOT, '..', 'shared', 'corpus');
    const ours = listFiles(CORPUS_DIR)
      .map((file) => relative(CORPUS_DIR, file))
      .sort();
    const reference = existsSync(shared)
      ? listFiles(shared)
          .map((file) => relative(shared, file))
          .sort()
      : ours;
    expect(ours).toEqual(reference);
    if (existsSync(shared))
      for (const file of ours) expect(digest(join(CORPUS_DIR, file)), file).toBe(digest(join(shared, file)));
  });
});
