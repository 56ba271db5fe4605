import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.ts';

const run = promisify(execFile);

describe('the benchmark harness (a smoke run; the figures come from npm run bench)', () => {
  test('measures tiny clusters, renders, audits a small fleet, and ends with the JSON line', async () => {
    const { stdout } = await run(process.execPath, [`${REPO_ROOT}bench/run.ts`, '--smoke'], {
      cwd: REPO_ROOT,
      timeout: 150_000,
      env: { ...process.env, KUBECTL: process.env.KUBECTL ?? 'kubectl' },
    });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^\s*pods\s+nodes\s+audit s\s+floor s\s+kubectl s\s+peak RSS MB\s+floor RSS MB\s+audit\/floor\s+RSS\/floor\s+audit\/kubectl$/,
    );
    expect(stdout).toMatch(/rendering 200 findings: HTML [\d.]+ s, Markdown [\d.]+ s/);
    expect(stdout).toMatch(/fleet: 3 clusters of 200 pods in [\d.]+ s \(3 complete\)/);
    const snapshots = [
      ...stdout.matchAll(
        /^snapshot (yaml|json): 600 pods, [\d.]+ GB in [\d.]+ s, peak RSS (\d+) MB, (\d+) findings$/gm,
      ),
    ];
    expect(snapshots.map((match) => match[1])).toEqual(['yaml', 'json']);
    // Both formats of one cluster give the same findings.
    expect(new Set(snapshots.map((match) => match[3])).size).toBe(1);
    expect(stdout).toMatch(
      /^client-node: loading it takes -?[\d.]+ s and -?\d+ MB more than a bare Node process \(medians of 1\)$/m,
    );
    const summary = JSON.parse(lines.at(-1) ?? '{}');
    expect(Object.keys(summary)).toEqual([
      'server',
      'pods',
      'auditS',
      'floorS',
      'kubectlS',
      'peakRssMb',
      'floorPeakRssMb',
      'auditOverFloor',
      'rssOverFloor',
      'auditOverKubectl',
    ]);
    expect(summary).toMatchObject({ server: 'simulator', pods: 600 });
    for (const key of Object.keys(summary).slice(2)) expect(summary[key]).toBeGreaterThan(0);
  }, 180_000);
});
