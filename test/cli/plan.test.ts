import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Migration } from '../../lambda/report/migration.ts';
import { FIXTURES_DIR } from '../helpers/paths.ts';
import { runCli } from '../helpers/run-cli.ts';

const fixture = (name: string) => join(FIXTURES_DIR, 'plan', name);

describe('dockershim-audit plan', () => {
  test('prints the plan of a source, pools in order, and writes nothing', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'dsa-plan-'));
    const run = await runCli(['plan', '--manifests', fixture('eks-karpenter-mid-migration.yaml'), '-q'], {
      cwd,
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const pools = run.stdout
      .split('\n')
      .filter((line) => /^ {2}( \d\.| {2}-) \S+: [A-Z]/.test(line))
      .map((line) => line.trim().split(':')[0]);
    expect(pools).toEqual(['1. ng-batch', '2. spot', '3. ng-gpu', '4. ng-legacy', '5. ng-apps', '- default']);
    expect(run.stdout).toContain(
      'Fix these 2 DaemonSets, and 4 of 5 pools on Docker Engine are ready (6 of 8 nodes).',
    );
    expect(run.stdout).toMatch(
      /2\. spot: READY TO MOVE .*\n\s+drain risk \(budget allows no disruption\): Deployment shop\/web \(2 pods\)/,
    );
    expect(run.stdout).toContain('Add --runbooks for the commands of each pool.');
    expect(await readdir(cwd)).toEqual([]);
  });

  test('--runbooks prints the commands from the first column, as they are pasted', async () => {
    const run = await runCli([
      'plan',
      '--manifests',
      fixture('kubeadm-without-pool-labels.yaml'),
      '--runbooks',
      '-q',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("\nNODES='worker-1 worker-2'\n");
    expect(run.stdout).toContain('\nSCRIPT\n');
  });

  test("--format json gives the report's migration objects", async () => {
    const run = await runCli(['plan', '--demo', '--format', 'json', '-q']);
    expect(run.code).toBe(0);
    const output = JSON.parse(run.stdout) as {
      clusters: Array<{ name: string; status: string; migration: Migration }>;
    };
    expect(output.clusters.map((cluster) => [cluster.name, cluster.status])).toEqual([['demo', 'complete']]);
    expect(output.clusters[0]?.migration.pools.map((pool) => [pool.name, pool.ready])).toEqual([
      ['batch', true],
      ['legacy-docker', false],
      ['general', false],
    ]);
  });

  test('a source read only in part: exit 1, the errors on stderr, and no pool called ready', async () => {
    const run = await runCli([
      'plan',
      '--manifests',
      fixture('kubeadm-without-pool-labels.yaml'),
      join(FIXTURES_DIR, 'manifests', 'broken-files'),
      '-q',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: \[manifests\] .*truncated\.json/m);
    expect(run.stdout).toContain('Note: The cluster was read only partially: no pool is called ready');
    expect(run.stdout).not.toContain('READY TO MOVE');
  });

  test('cluster text cannot drive the terminal: control characters are shown as ?', async () => {
    const run = await runCli(['plan', '--manifests', fixture('hostile-pools.yaml'), '--runbooks', '-q']);
    expect(run.code).toBe(0);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
    expect(run.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(run.stdout).toContain('kubelet v1.23.4?Injected: line');
    expect(run.stdout).not.toMatch(/^Injected/m);
    expect(run.stdout).not.toContain('curl');
  });

  test('help names the plan and its flags', async () => {
    const help = await runCli(['plan', '--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--manifests', '--runbooks', '--format', '--config'])
      expect(help.stdout).toContain(flag);
    expect((await runCli(['--help'])).stdout).toContain('dockershim-audit plan [source] [options]');
    expect((await runCli(['help', 'plan'])).stdout).toContain('Usage: dockershim-audit plan');
  });

  test('usage errors exit 2 with the reason', async () => {
    const both = await runCli(['plan', '--demo', '--manifests', 'x']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('error: choose one source: --manifests or --demo');
    const wrong = await runCli(['plan', '--demo', '--format', 'yaml']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--format must be text or json');
    const scanOnly = await runCli(['plan', '--demo', '--out', 'x']);
    expect(scanOnly.code).toBe(2);
  });
});
