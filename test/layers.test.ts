import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO_ROOT } from './helpers/paths.ts';

/**
 * The engine's layers run one way: a module imports only from its own layer or the layers
 * below it, and no chain of imports comes back to where it started. This reads every import
 * of lambda/ as written, so a new file or a new import that runs up a layer fails here, with
 * the file and the line named.
 *
 * Bottom to top (DESIGN.md's pipeline: config, collect, detect, assemble, plan, diff and render,
 * store, notify; with the pieces every stage shares at the bottom). A folder is one layer,
 * except report/: its data model sits below every stage and its assembly below the plan.
 */
const LAYERS: ReadonlyArray<{ layer: string; holds: (path: string) => boolean; why: string }> = [
  {
    layer: 'foundation',
    holds: (path) =>
      (!path.includes('/') && !ENTRIES.has(path) && path !== 'version.ts' && path !== 'pipeline.ts') ||
      path.startsWith('kube/'),
    why: 'small helpers and the shape of a Kubernetes object; they know nothing of the audit',
  },
  {
    layer: 'rules',
    holds: (path) => path.startsWith('rules/') || path === 'version.ts',
    why: 'pure detection over objects; version.ts names the rules version',
  },
  {
    layer: 'model',
    holds: (path) => path === 'report/model.ts' || path === 'report/migration.ts',
    why: "the report's data model: every stage fills a part of it in, so every stage names its types",
  },
  { layer: 'config', holds: (path) => path.startsWith('config/'), why: 'flags, settings and policy files' },
  { layer: 'collect', holds: (path) => path.startsWith('collect/'), why: 'reading clusters and files' },
  {
    layer: 'assemble',
    holds: (path) => path === 'report/assemble.ts' || path === 'report/cluster-summary.ts',
    why: "the report's workloads, nodes and counts from the findings: pure, before the plan",
  },
  {
    layer: 'plan',
    holds: (path) => path.startsWith('plan/'),
    why: 'the migration plan, pure over the model',
  },
  { layer: 'audit', holds: (path) => path.startsWith('audit/'), why: 'a cluster and a fleet audited' },
  { layer: 'report', holds: (path) => path.startsWith('report/'), why: 'diff and rendering' },
  { layer: 'store', holds: (path) => path.startsWith('store/'), why: 'keeping runs as evidence' },
  { layer: 'notify', holds: (path) => path.startsWith('notify/'), why: 'telling people' },
  {
    layer: 'service',
    holds: (path) => path.startsWith('service/') || path === 'pipeline.ts',
    why: 'the one pipeline and the fleet service the entries run',
  },
  { layer: 'entries', holds: (path) => ENTRIES.has(path), why: 'the CLI and the Lambda handler' },
];
const ENTRIES = new Set(['cli.ts', 'handler.ts']);
/**
 * Config turns text into the engine's own settings, so it may name their types from any layer
 * (an `import type` is erased and loads nothing), but takes values only from below itself: the
 * CLI's help must not load the Kubernetes client to print a default.
 */
const TYPES_FROM_ANYWHERE = new Set(['config']);

const LAMBDA = join(REPO_ROOT, 'lambda');

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
  line: number;
}

function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? modules(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [relative(LAMBDA, join(dir, entry.name))]
        : [],
  );
}

/** Static imports and re-exports, and dynamic `import('…')`, of relative modules inside lambda/. */
function importsOf(path: string): Import[] {
  const text = readFileSync(join(LAMBDA, path), 'utf8');
  const found: Import[] = [];
  const pattern = /^(import|export)\s+(type\s+)?[^;'"]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/gms;
  for (const match of text.matchAll(pattern)) {
    const specifier = match[3] ?? match[4];
    if (specifier === undefined) continue;
    const target = relative(LAMBDA, resolve(dirname(join(LAMBDA, path)), specifier));
    if (target.startsWith('..') || !target.endsWith('.ts')) continue; // package.json, templates
    found.push({
      from: path,
      to: target,
      typeOnly: match[2] !== undefined,
      line: text.slice(0, match.index).split('\n').length,
    });
  }
  return found;
}

function layerOf(path: string): number {
  const index = LAYERS.findIndex((layer) => layer.holds(path));
  if (index < 0)
    throw new Error(`${path} belongs to no layer: add its folder to LAYERS in test/layers.test.ts`);
  return index;
}

const all = modules(LAMBDA);
const imports = all.flatMap(importsOf);

describe('layers', () => {
  test('every module of lambda/ belongs to a layer, and the parser sees their imports', () => {
    expect(all.length).toBeGreaterThan(100);
    for (const path of all) expect(() => layerOf(path), path).not.toThrow();
    // The parser is what this test stands on: it must see a known multi-line import and a type import.
    expect(imports).toContainEqual(
      expect.objectContaining({ from: 'cli.ts', to: 'pipeline.ts', typeOnly: false }),
    );
    expect(imports.some((edge) => edge.typeOnly)).toBe(true);
  });

  test('no module imports from a layer above its own', () => {
    const upward = imports
      .filter((edge) => {
        const from = layerOf(edge.from);
        const to = layerOf(edge.to);
        if (to <= from) return false;
        const layer = LAYERS[from]?.layer ?? '';
        return !(edge.typeOnly && TYPES_FROM_ANYWHERE.has(layer) && to < layerOf('pipeline.ts'));
      })
      .map(
        (edge) =>
          `lambda/${edge.from}:${edge.line} (${LAYERS[layerOf(edge.from)]?.layer}) imports lambda/${edge.to} (${LAYERS[layerOf(edge.to)]?.layer})`,
      );
    expect(upward).toEqual([]);
  });

  test('no chain of imports comes back to where it started, type imports included', () => {
    const next = new Map<string, string[]>();
    for (const edge of imports) next.set(edge.from, [...(next.get(edge.from) ?? []), edge.to]);
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (path: string, trail: string[]): void => {
      if (state.get(path) === 'done') return;
      if (state.get(path) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(path)), path].join(' → '));
        return;
      }
      state.set(path, 'open');
      for (const target of next.get(path) ?? []) visit(target, [...trail, path]);
      state.set(path, 'done');
    };
    for (const path of all) visit(path, []);
    expect(cycles).toEqual([]);
  });
});
