import { readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { buildDemo, DEMO_OUTPUT } from '../demo/build-demo.ts';
import { assertValidReport } from './helpers/report-schema.ts';
import { runCli } from './helpers/run-cli.ts';

describe('the bundled demo', () => {
  test('demo/cluster.json is what demo/build-demo.ts makes from the corpus (run npm run build:demo)', () => {
    expect(JSON.parse(readFileSync(DEMO_OUTPUT, 'utf8'))).toEqual(buildDemo());
  });

  test('scan with no source audits the demo: mixed runtimes, broken agents on containerd nodes, a hint to go further', async () => {
    const out = await mkdtemp(join(tmpdir(), 'dsa-demo-'));
    const run = await runCli(['scan', '--out', out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Cluster demo: complete, 6 nodes (3 on Docker Engine)');
    expect(run.stdout).toContain('This was the bundled demo snapshot');
    const report: unknown = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assertValidReport(report);
    const cluster = report.clusters[0];
    if (!cluster) throw new Error('no cluster in the report');
    const verdict = (key: string) =>
      cluster.workloads.find(
        (w) => `${w.resource.kind}/${w.resource.namespace ?? ''}/${w.resource.name}` === key,
      )?.verdict;
    expect(verdict('DaemonSet/datadog/datadog')).toBe('critical');
    expect(verdict('DaemonSet/weave/weave-scope-agent')).toBe('critical');
    expect(verdict('DaemonSet/falco/falco')).toBe('low');
    expect(verdict('Node//ip-10-0-1-11.ec2.internal')).toBe('high');
    expect(verdict('Node//ip-10-0-2-21.ec2.internal')).toBe('medium');
    expect(verdict('DaemonSet/kube-flannel/kube-flannel-ds')).toBeUndefined();
    expect(cluster.nodes.map((n) => n.runtime)).toEqual([
      'docker',
      'docker',
      'docker',
      'containerd',
      'containerd',
      'containerd',
    ]);
  });

  test('the demo has a migration plan: one pool ready to leave Docker Engine, one blocked, one done', async () => {
    const out = await mkdtemp(join(tmpdir(), 'dsa-demo-'));
    expect((await runCli(['scan', '--demo', '--out', out, '--quiet'])).code).toBe(0);
    const report: unknown = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assertValidReport(report);
    const pools = report.clusters[0]?.migration?.pools ?? [];
    expect(pools.map((pool) => [pool.name, pool.status, pool.order])).toEqual([
      ['batch', 'ready', 1],
      ['legacy-docker', 'blocked', 2],
      ['general', 'migrated', null],
    ]);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('id="migration"');
  });
});
