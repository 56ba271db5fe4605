import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import { auditCluster } from '../../lambda/audit/run-fleet.ts';
import { ManifestSource } from '../../lambda/collect/manifest-source.ts';
import type { Report } from '../../lambda/report/model.ts';
import { demoCount, demoObjects, TOKEN } from '../helpers/live.ts';
import { REPO_ROOT } from '../helpers/paths.ts';
import { assertValidReport } from '../helpers/report-schema.ts';
import { runCli } from '../helpers/run-cli.ts';
import { ApiServerSimulator } from '../simulator/api-server.ts';
import { clusterFromObjects } from '../simulator/cluster-data.ts';
import { writeKubeconfig } from '../simulator/kubeconfig.ts';

let healthy: ApiServerSimulator;
let old: ApiServerSimulator;

/** A port nothing listens on: connections are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 1;
}

async function readReport(out: string): Promise<Report> {
  const report: unknown = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
  assertValidReport(report);
  return report;
}

const signature = (report: Report, cluster: string) =>
  report.clusters
    .find((entry) => entry.name === cluster)
    ?.findings.map((finding) => `${finding.id} ${finding.severity}`)
    .sort();

beforeAll(async () => {
  healthy = await ApiServerSimulator.start({
    data: clusterFromObjects(demoObjects()),
    tokens: { [TOKEN]: 'auditor' },
    kubernetesVersion: '1.28.3',
  });
  old = await ApiServerSimulator.start({
    data: clusterFromObjects(demoObjects()),
    tokens: { [TOKEN]: 'auditor' },
    kubernetesVersion: '1.19.16',
    pki: healthy.pki,
  });
});
afterAll(async () => {
  await healthy.close();
  await old.close();
});

describe('dockershim-audit scan --kubeconfig', () => {
  test('--all-contexts gives the same findings as --manifests over the same objects, with a status per cluster', async () => {
    const kubeconfig = await writeKubeconfig([
      { name: 'prod', server: healthy.url, caPem: healthy.caPem, user: { token: TOKEN } },
      { name: 'legacy', server: old.url, caPem: old.caPem, user: { token: TOKEN } },
    ]);
    const live = await mkdtemp(join(tmpdir(), 'dsa-live-'));
    const run = await runCli(['scan', '--kubeconfig', kubeconfig, '--all-contexts', '--out', live]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Cluster prod: complete, 6 nodes (3 on Docker Engine)');
    expect(run.stdout).toContain('Cluster legacy: complete');
    expect(run.stderr).toContain(`[legacy] read ${demoCount('Pod')} pods`);
    const report = await readReport(live);
    expect(report.clusters.map((cluster) => [cluster.name, cluster.status])).toEqual([
      ['prod', 'complete'],
      ['legacy', 'complete'],
    ]);
    expect(report.clusters[1]?.source).toMatchObject({
      type: 'kubernetes',
      context: 'legacy',
      serverVersion: 'v1.19.16',
    });

    for (const cluster of ['prod', 'legacy']) {
      const files = await mkdtemp(join(tmpdir(), 'dsa-files-'));
      await runCli([
        'scan',
        '--manifests',
        `${REPO_ROOT}demo/cluster.json`,
        '--cluster-name',
        cluster,
        '--out',
        files,
        '-q',
      ]);
      expect(signature(report, cluster)).toEqual(signature(await readReport(files), cluster));
    }
  });

  test('one cluster that cannot be reached never hides the other: failed with the reason, exit 1, a full report for the other', async () => {
    const kubeconfig = await writeKubeconfig([
      {
        name: 'gone',
        server: `https://127.0.0.1:${await closedPort()}`,
        caPem: healthy.caPem,
        user: { token: TOKEN },
      },
      { name: 'prod', server: healthy.url, caPem: healthy.caPem, user: { token: TOKEN } },
    ]);
    const out = await mkdtemp(join(tmpdir(), 'dsa-live-'));
    const run = await runCli([
      'scan',
      '--kubeconfig',
      kubeconfig,
      '--all-contexts',
      '--out',
      out,
      '--cluster-timeout',
      '20',
    ]);
    expect(run.code).toBe(1);
    const report = await readReport(out);
    const gone = report.clusters.find((cluster) => cluster.name === 'gone');
    expect(gone?.status).toBe('failed');
    expect(gone?.errors.at(-1)?.message).toMatch(/cannot reach the API server: .*ECONNREFUSED/);
    expect(report.clusters.find((cluster) => cluster.name === 'prod')?.status).toBe('complete');
    // Everything the same objects give from files.
    const fromFiles = await auditCluster(
      new ManifestSource('prod', [`${REPO_ROOT}demo/cluster.json`]),
      defaultPolicy(),
    );
    expect(report.clusters.find((cluster) => cluster.name === 'prod')?.findings).toHaveLength(
      fromFiles.findings.length,
    );
  });

  test('rejected credentials: failed, with what to check', async () => {
    const kubeconfig = await writeKubeconfig([
      { name: 'prod', server: healthy.url, caPem: healthy.caPem, user: { token: 'expired' } },
    ]);
    const out = await mkdtemp(join(tmpdir(), 'dsa-live-'));
    const run = await runCli(['scan', '--kubeconfig', kubeconfig, '--out', out, '-q']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/HTTP 401: Unauthorized/);
    const [cluster] = (await readReport(out)).clusters;
    expect(cluster?.status).toBe('failed');
    expect(cluster?.errors.at(-1)?.message).toContain('credentials were rejected');
  });

  test('a wrong CA is refused: TLS is verified', async () => {
    const other = await ApiServerSimulator.start({ data: clusterFromObjects([]), tokens: { [TOKEN]: 'x' } });
    try {
      const kubeconfig = await writeKubeconfig([
        { name: 'prod', server: healthy.url, caPem: other.caPem, user: { token: TOKEN } },
      ]);
      const out = await mkdtemp(join(tmpdir(), 'dsa-live-'));
      expect(
        (await runCli(['scan', '--kubeconfig', kubeconfig, '--out', out, '-q', '--cluster-timeout', '20']))
          .code,
      ).toBe(1);
      expect((await readReport(out)).clusters[0]?.errors.at(-1)?.message).toMatch(/certificate/);
    } finally {
      await other.close();
    }
  });

  test('with no source flag the current context of $KUBECONFIG is audited', async () => {
    const kubeconfig = await writeKubeconfig(
      [
        { name: 'a', server: healthy.url, caPem: healthy.caPem, user: { token: TOKEN } },
        { name: 'b', server: old.url, caPem: old.caPem, user: { token: TOKEN } },
      ],
      'b',
    );
    const out = await mkdtemp(join(tmpdir(), 'dsa-live-'));
    const run = await runCli(['scan', '--out', out, '-q'], { env: { KUBECONFIG: kubeconfig } });
    expect(run.code).toBe(0);
    expect((await readReport(out)).clusters.map((cluster) => cluster.name)).toEqual(['b']);
  });

  test('--context picks clusters; an unknown one is a usage error naming the contexts', async () => {
    const kubeconfig = await writeKubeconfig([
      { name: 'a', server: healthy.url, caPem: healthy.caPem, user: { token: TOKEN } },
    ]);
    const run = await runCli(['scan', '--kubeconfig', kubeconfig, '--context', 'nope']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no context "nope"');
    expect(run.stderr).toContain('Its contexts: a.');
  });
});
