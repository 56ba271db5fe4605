import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../lambda/kube/objects.ts';
import { migrationView } from '../../lambda/report/migration-view.ts';
import type { ProgressPoint } from '../../lambda/report/progress.ts';
import { niceScale, progressView } from '../../lambda/report/progress-view.ts';
import { emptySeverityCounts } from '../../lambda/rules/severity.ts';
import { LocalDirectoryStore } from '../../lambda/store/local-store.ts';
import { audit, node, pod, podSpec } from '../helpers/objects.ts';
import { FIXTURES_DIR, REPO_ROOT } from '../helpers/paths.ts';
import { scanManifests, socketAgent, writeSnapshot } from '../helpers/scans.ts';

const markdownOf = async (paths: Record<string, string[]>) =>
  (await scanManifests(paths, undefined)).artifacts.find((artifact) => artifact.name === 'report.md')?.body ??
  '';

describe('the migration section in Markdown', () => {
  test('tables of pools and fix-first steps, and runbooks as code blocks that are not escaped', async () => {
    const md = await markdownOf({ prod: [join(REPO_ROOT, 'demo', 'cluster.json')] });
    expect(md).toContain('## Migration plan');
    expect(md).toContain('| 1 | batch | 1 | cri-dockerd | v1.27.9 | ready to move |  | none found |');
    expect(md).toMatch(/\n1\. ConfigMap signalfx\/signalfx-agent-v5 \(DS021\): blocks legacy-docker;/);
    // Inside a fence nothing is escaped: what is pasted is what runs.
    expect(md).toContain("```sh\nNODES='ip-10-0-2-21.ec2.internal'\n```");
    expect(md).toContain(
      "FLAGS='--container-runtime-endpoint=unix:///run/containerd/containerd.sock'\nsed -i -E 's@ ?--container-runtime(-endpoint)?=[^ \"]*@@g'",
    );
    expect(md.indexOf('## Migration plan')).toBeLessThan(md.indexOf('## Since the last run'));
  });

  test('hostile pool and node names are escaped in text and tables, and kept out of code blocks', async () => {
    const md = await markdownOf({ staging: [join(FIXTURES_DIR, 'plan', 'hostile-pools.yaml')] });
    expect(md).not.toContain('<img');
    expect(md).not.toContain('<script>');
    expect(md).toContain('&lt;img src=x onerror=window.\\_\\_pwned=7&gt;');
    expect(md).toContain('\\*\\*bold\\*\\* &#64;here &lt;\\!channel&gt; \\`tick\\` \\`\\`\\`fence');
    // Every table row of the pools keeps its nine cell borders: no name adds a column.
    const rows = md.split('\n').filter((line) => /^\| [12] \| /.test(line));
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.replace(/\\\|/g, '').split('|')).toHaveLength(10);
    // Code blocks hold only what passed as a node name.
    const blocks = [...md.matchAll(/```sh\n([\s\S]*?)\n```/g)].map((match) => match[1] ?? '');
    expect(blocks.join('\n')).toContain("NODES='worker-ok'");
    for (const text of ['curl', '<script>', 'fence']) expect(blocks.join('\n')).not.toContain(text);
  });
});

describe('the pools picture', () => {
  test('a square per node up to three rows; beyond, a square stands for several and says so', () => {
    const nodes: KubeObject[] = Array.from({ length: 300 }, (_, index) => {
      const object = node(
        `node-${index}`,
        index < 250 ? 'docker://20.10.7' : 'containerd://1.7.2',
        'v1.23.4',
      );
      return { ...object, metadata: { ...object.metadata, labels: { 'karpenter.sh/nodepool': 'huge' } } };
    });
    const report = audit([...nodes, node('single', 'docker://20.10.7', 'v1.23.4')]);
    const picture = migrationView([report]).clusters[0]?.picture;
    const huge = picture?.rows.find((row) => row.label === 'huge');
    const single = picture?.rows.find((row) => row.label !== 'huge');
    // 44 squares fit a row: 300 nodes in three rows at most means three nodes a square, counted up per runtime.
    expect(huge?.scale).toBe('each square: 3 nodes');
    expect(huge?.squares.filter((square) => square.category === 'dockershim')).toHaveLength(84);
    expect(huge?.squares.filter((square) => square.category === 'containerd')).toHaveLength(17);
    expect(huge?.height).toBe(3 * 15 - 3 + 8);
    expect(single?.scale).toBeUndefined();
    expect(single?.squares.map((square) => square.title)).toEqual(['single (dockershim)']);
    for (const row of picture?.rows ?? [])
      for (const square of row.squares) {
        expect(square.x + 12).toBeLessThanOrEqual(picture?.statusX ?? 0);
        expect(square.y + 12).toBeLessThanOrEqual(row.y + row.height);
      }
    expect(new Set(picture?.rows.map((row) => row.squares.length > 0))).toEqual(new Set([true]));
  });
});

describe('what changed, in the reports', () => {
  test('the second night names the pool that became ready and the node that left Docker Engine', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsa-progress-'));
    const store = new LocalDirectoryStore(join(dir, 'store'));
    const poolNode = (name: string, runtime: string, pool: string) => {
      const object = node(name, runtime, 'v1.23.4');
      return { ...object, metadata: { ...object.metadata, labels: { 'eks.amazonaws.com/nodegroup': pool } } };
    };
    const agent = {
      ...pod('agent-n1', podSpec({ nodeName: 'n1', hostPaths: { sock: '/var/run/docker.sock' } }), {
        namespace: 'monitoring',
        owner: { kind: 'DaemonSet', name: 'agent' },
      }),
    };
    await scanManifests(
      {
        prod: [
          await writeSnapshot(dir, 'one.json', [
            poolNode('n1', 'docker://20.10.7', 'ng-a'),
            poolNode('n2', 'docker://20.10.7', 'ng-b'),
            socketAgent('agent'),
            agent,
          ]),
        ],
      },
      store,
    );
    const run = await scanManifests(
      {
        prod: [
          await writeSnapshot(dir, 'two.json', [
            poolNode('n1', 'docker://20.10.7', 'ng-a'),
            poolNode('n2', 'containerd://1.7.13', 'ng-b'),
          ]),
        ],
      },
      store,
    );
    expect(run.diff.clusters[0]?.poolsBecameReady).toEqual(['ng-a']);
    const body = (name: string) => run.artifacts.find((artifact) => artifact.name === name)?.body ?? '';
    const changes = body('report.html').slice(body('report.html').indexOf('id="changes"'));
    expect(changes).toContain(
      'Ready to leave Docker Engine now: <span class="chip chip-ok">prod / ng-a</span>',
    );
    expect(changes).toContain('prod / n2');
    expect(body('report.md')).toContain('- Pool ng-a (prod) is ready to leave Docker Engine now.');
  });
});

describe('drain risks in the reports', () => {
  test('the worst fifty per pool are listed, the rest counted; report.json keeps them all', () => {
    const bare = Array.from({ length: 60 }, (_, index) =>
      pod(`debug-${index}`, podSpec({ nodeName: 'worker-1' }), { namespace: 'shop' }),
    );
    const report = audit([node('worker-1', 'docker://20.10.7', 'v1.23.4'), ...bare]);
    expect(report.migration?.pools[0]?.drainRisks).toHaveLength(60);
    const [pool] = migrationView([report]).clusters[0]?.pools ?? [];
    expect(pool?.risks).toHaveLength(50);
    expect(pool?.moreRisks).toBe(10);
  });
});

describe('the progress chart', () => {
  const point = (day: number, docker: number, high: number): ProgressPoint => ({
    runId: `202610${String(day + 1).padStart(2, '0')}T030000Z-aaaaaa`,
    generatedAt: `2026-10-${String(day + 1).padStart(2, '0')}T03:00:00.000Z`,
    nodes: 10,
    nodesOnDocker: docker,
    bySeverity: { ...emptySeverityCounts(), high },
    clusters: 1,
    incompleteClusters: 0,
  });

  test('no history, no chart; the Markdown table keeps the last ten runs, newest first', () => {
    expect(progressView(undefined).present).toBe(false);
    const view = progressView({
      points: Array.from({ length: 12 }, (_, day) => point(day, Math.max(0, 10 - day), day)),
      notes: [],
    });
    expect(view.rows.map((row) => row.date)).toEqual(
      Array.from({ length: 10 }, (_, index) => `2026-10-${String(12 - index).padStart(2, '0')}`),
    );
    expect(view.olderRuns).toBe(2);
    expect(view.chart.nodes.last?.label).toBe('0 of 10');
  });

  test('round axes, counted in whole findings and nodes', () => {
    expect(niceScale(0)).toEqual({ max: 1, ticks: [0, 1] });
    expect(niceScale(3)).toEqual({ max: 3, ticks: [0, 1, 2, 3] });
    expect(niceScale(37)).toEqual({ max: 40, ticks: [0, 10, 20, 30, 40] });
    expect(niceScale(1234)).toEqual({ max: 1500, ticks: [0, 500, 1000, 1500] });
  });
});
