import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
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
  /** Rule ids that must be among the resource's findings (this copy of the corpus only). */
  rules?: string[];
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

/** Which rules found something on each resource. */
function rulesByResource(report: Report): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>();
  for (const finding of report.clusters[0]?.findings ?? []) {
    const key = `${finding.resource.kind}/${finding.resource.namespace ?? ''}/${finding.resource.name}`;
    map.set(key, (map.get(key) ?? new Set()).add(finding.rule));
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
    const rules = rulesByResource(report);
    const listed = expectations.filter((expectation) => expectation.file === file);
    for (const expectation of listed.filter((entry) => entry.rules)) {
      const seen = rules.get(expectation.resource) ?? new Set<string>();
      expect({
        resource: expectation.resource,
        missing: expectation.rules?.filter((rule) => !seen.has(rule)),
      }).toEqual({
        resource: expectation.resource,
        missing: [],
      });
    }
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

const META_FILES = new Set(['expected.yaml', 'SOURCES.md']);

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

  test('lists the source of every file it holds', () => {
    const sources = readFileSync(join(CORPUS_DIR, 'SOURCES.md'), 'utf8');
    const named = new Set([...sources.matchAll(/^## (\S+)$/gm)].map((match) => match[1] ?? ''));
    const held = listFiles(CORPUS_DIR)
      .map((file) => relative(CORPUS_DIR, file))
      .filter((file) => !META_FILES.has(file));
    expect(held.filter((file) => !named.has(file))).toEqual([]);
  });

  /**
   * The shared corpus is the reference; this copy grows past it (new vendors, expected rules).
   * Every shared manifest is here byte for byte, every shared expectation and source entry too.
   * Where the clone has no shared corpus beside it the test says it was skipped, not passed.
   */
  test('contains the shared corpus unchanged (skipped, saying so, where there is none beside the clone)', (context) => {
    const shared = join(REPO_ROOT, '..', 'shared', 'corpus');
    if (!existsSync(shared)) context.skip(`no shared corpus at ${shared} to compare this copy with`);
    expect(realpathSync(shared), 'the shared corpus must not be this copy itself').not.toBe(
      realpathSync(CORPUS_DIR),
    );
    const files = listFiles(shared).map((file) => relative(shared, file));
    expect(
      files.filter((name) => !META_FILES.has(name)),
      "the shared corpus's manifests",
    ).not.toEqual([]);
    for (const file of files.filter((name) => !META_FILES.has(name)))
      expect(existsSync(join(CORPUS_DIR, file)) && digest(join(CORPUS_DIR, file)), file).toBe(
        digest(join(shared, file)),
      );
    const entry = ({ file, resource, accept }: Expectation) => JSON.stringify({ file, resource, accept });
    const ours = new Set(expectations.map(entry));
    const theirs = parse(readFileSync(join(shared, 'expected.yaml'), 'utf8')) as Expectation[];
    expect(theirs.map(entry).filter((item) => !ours.has(item))).toEqual([]);
    const sections = (text: string) =>
      text
        .split(/^(?=## )/m)
        .slice(1)
        .map((section) => section.trim());
    const ourSources = new Set(sections(readFileSync(join(CORPUS_DIR, 'SOURCES.md'), 'utf8')));
    expect(
      sections(readFileSync(join(shared, 'SOURCES.md'), 'utf8')).filter((item) => !ourSources.has(item)),
    ).toEqual([]);
  });
});
