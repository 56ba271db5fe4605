import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { ClusterStatus, Report } from '../../lambda/report/model.ts';
import { HANGING_PLUGIN, isRunning, writePlugin } from '../helpers/exec-plugin.ts';
import { demoObjects, TOKEN } from '../helpers/live.ts';
import { assertValidReport } from '../helpers/report-schema.ts';
import { type CliRun, peakRssMb, REPORT_PEAK_RSS, runCli } from '../helpers/run-cli.ts';
import { ApiServerSimulator } from '../simulator/api-server.ts';
import { clusterFromObjects } from '../simulator/cluster-data.ts';
import { type TestContext, writeKubeconfig } from '../simulator/kubeconfig.ts';

/**
 * Hostile and unusual answers from live clusters, run as a user runs the CLI. Each case puts
 * one bad cluster next to a good one (`prod`) and says what the bad one must come to: its
 * status, the exit code, the message. The good one must be audited in full all the same, the
 * report must pass the project's own schema, and nothing may reach the terminal unprintable.
 */
interface LiveCase {
  name: string;
  /** The bad cluster's context (its server is `bad`, a simulator the case may arm). */
  context: (bad: ApiServerSimulator) => Promise<TestContext>;
  args?: string[];
  status: ClusterStatus;
  exit: number;
  /** In the bad cluster's errors (or, for a complete cluster, in the report's warnings) and on stderr. */
  message: string | RegExp;
  /** What else the case is about. */
  check?: (run: CliRun, report: Report, bad: ApiServerSimulator) => Promise<void> | void;
}

const MIB = 1024 * 1024;
const GOOD = 'prod';
let good: ApiServerSimulator;
let bad: ApiServerSimulator;
let expectedFindings: string[];

const goodContext = (): TestContext => ({
  name: GOOD,
  server: good.url,
  caPem: good.caPem,
  user: { token: TOKEN },
});
const badContext = (overrides: Partial<TestContext> = {}): TestContext => ({
  name: 'bad',
  server: bad.url,
  caPem: bad.caPem,
  user: { token: TOKEN },
  ...overrides,
});
const findingsOf = (report: Report, cluster: string) =>
  report.clusters
    .find((entry) => entry.name === cluster)
    ?.findings.map((finding) => `${finding.id} ${finding.severity}`)
    .sort();

const CASES: LiveCase[] = [
  {
    name: 'a list answer of 1 GB',
    context: async (server) => {
      server.inject({ path: '/api/v1/pods', times: 10, action: { type: 'huge', bytes: 1024 * MIB } });
      return badContext();
    },
    status: 'partial',
    exit: 1,
    message: 'GET /api/v1/pods?limit=500: the answer is larger than 64 MiB; it was not read',
    check: (run, _, server) => {
      expect(server.listRequests('/api/v1/pods')).toHaveLength(1);
      expect(server.listRequests('/api/v1/pods')[0]?.bytesSent ?? 0).toBeLessThan(256 * MIB);
      expect(peakRssMb(run)).toBeLessThan(1024);
    },
  },
  {
    name: 'a 2 MB gzip answer that inflates to 2 GB',
    context: async (server) => {
      server.inject({
        path: '/apis/apps/v1/daemonsets',
        times: 10,
        action: { type: 'gzipBomb', inflatedBytes: 2048 * MIB },
      });
      return badContext();
    },
    status: 'partial',
    exit: 1,
    message: 'the answer is larger than 64 MiB once gzip is inflated; it was not read',
    check: (run, _, server) => {
      expect(server.listRequests('/apis/apps/v1/daemonsets')).toHaveLength(1);
      expect(peakRssMb(run)).toBeLessThan(1024);
    },
  },
  {
    name: 'an exec credential plugin that hangs',
    context: async () => {
      const plugin = await writePlugin(HANGING_PLUGIN);
      pluginPids = plugin.pids;
      return badContext({ user: { exec: { command: plugin.command } } });
    },
    // Long enough for the good cluster on a busy machine (2 cores, many runs); the plugin would wait 300 s.
    args: ['--cluster-timeout', '15'],
    status: 'failed',
    exit: 1,
    message: /the credential plugin ".*" did not finish before the cluster's deadline and was stopped/,
    check: async () => {
      const pids = await pluginPids();
      expect(pids).toHaveLength(2);
      await expect.poll(() => pids.filter(isRunning)).toEqual([]);
    },
  },
  {
    name: 'an exec credential plugin that fails with a long stderr',
    context: async () => {
      const plugin = await writePlugin(
        `printf 'error: refresh token expired%01000d\\nTraceback with details\\n' 0 >&2\nexit 1`,
      );
      return badContext({ user: { exec: { command: plugin.command } } });
    },
    status: 'failed',
    exit: 1,
    message: /failed \(exit code 1\): error: refresh token expired0{172}…/,
    check: (run, report) => {
      expect(JSON.stringify(report)).not.toContain('Traceback');
      expect(run.stderr).not.toContain('Traceback');
    },
  },
  {
    name: '/version answering null',
    context: async (server) => {
      server.inject({ path: '/version', action: { type: 'body', body: 'null' } });
      return badContext();
    },
    status: 'failed',
    exit: 1,
    message: 'GET /version: the answer is null, not a version object',
  },
  {
    name: 'a list answering null',
    context: async (server) => {
      server.inject({ path: '/apis/apps/v1/deployments', action: { type: 'body', body: 'null' } });
      return badContext();
    },
    status: 'partial',
    exit: 1,
    message: 'GET /apis/apps/v1/deployments: the answer is not a list but null',
  },
  {
    name: 'insecure-skip-tls-verify: true',
    context: async () => badContext({ cluster: { 'insecure-skip-tls-verify': true } }),
    status: 'complete',
    exit: 0,
    message: 'insecure-skip-tls-verify',
    check: async (run, report) => {
      expect(run.stderr).toContain(
        "warning: [bad] insecure-skip-tls-verify is set: the server's certificate is not checked",
      );
      expect(report.clusters.map((cluster) => cluster.source)).toEqual([
        expect.not.objectContaining({ insecureSkipTlsVerify: true }),
        expect.objectContaining({ type: 'kubernetes', insecureSkipTlsVerify: true }),
      ]);
      for (const file of ['report.html', 'report.md'])
        expect(await readFile(join(out, file), 'utf8')).toContain(
          'Cluster bad was read with insecure-skip-tls-verify',
        );
      expect(run.stdout).toContain('Warning: Cluster bad was read with insecure-skip-tls-verify');
    },
  },
  {
    name: 'a context name with a newline and terminal escapes that forge an error line',
    context: async () =>
      badContext({ name: 'bad\nerror: [prod] forged: everything failed\u001b[2K\u001b]0;owned\u0007' }),
    status: 'complete',
    exit: 0,
    message: '',
    check: (run) => {
      expect(run.stderr).not.toMatch(/^error: \[prod\] forged/m);
      expect(run.stderr).toContain('[bad?error: [prod] forged: everything failed?[2K?]0;owned?] reading');
      expect(run.stdout).toContain('Cluster bad?error: [prod] forged');
    },
  },
];

let out: string;
let pluginPids: () => Promise<number[]>;

beforeAll(async () => {
  good = await ApiServerSimulator.start({
    data: clusterFromObjects(demoObjects()),
    tokens: { [TOKEN]: 'auditor' },
  });
  bad = await ApiServerSimulator.start({
    data: clusterFromObjects(demoObjects()),
    tokens: { [TOKEN]: 'auditor' },
    pki: good.pki,
  });
  // What the good cluster yields alone: the findings every case must still produce for it.
  const kubeconfig = await writeKubeconfig([goodContext()]);
  const alone = await mkdtemp(join(tmpdir(), 'dsa-hostile-'));
  await runCli(['scan', '--kubeconfig', kubeconfig, '--out', alone, '-q']);
  expectedFindings = findingsOf(JSON.parse(await readFile(join(alone, 'report.json'), 'utf8')), GOOD) ?? [];
  expect(expectedFindings.length).toBeGreaterThan(20);
});
afterEach(() => {
  bad.clearFaults();
  bad.requests.length = 0;
});
afterAll(async () => {
  await Promise.all([good.close(), bad.close()]);
});

describe('hostile live clusters: the bad one is named, the good one is audited in full', () => {
  test.each(CASES)('$name', { timeout: 60_000 }, async (hostile) => {
    const badOne = await hostile.context(bad);
    const kubeconfig = await writeKubeconfig([goodContext(), badOne]);
    out = await mkdtemp(join(tmpdir(), 'dsa-hostile-'));
    const run = await runCli(
      ['scan', '--kubeconfig', kubeconfig, '--all-contexts', '--out', out, ...(hostile.args ?? [])],
      { nodeArgs: REPORT_PEAK_RSS },
    );

    expect(run.code, run.stderr).toBe(hostile.exit);
    const report: unknown = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assertValidReport(report);
    const [prod, other] = report.clusters;
    expect(prod?.status).toBe('complete');
    expect(findingsOf(report, GOOD)).toEqual(expectedFindings);
    expect(other?.name).toBe(badOne.name);
    expect(other?.status).toBe(hostile.status);
    const said =
      hostile.status === 'complete' ? report.warnings : (other?.errors.map((error) => error.message) ?? []);
    if (hostile.message !== '') {
      expect(said.join('\n')).toMatch(hostile.message);
      if (hostile.status !== 'complete') expect(run.stderr).toMatch(hostile.message);
    }
    // Nothing unprintable reaches the terminal, whatever the cluster sent or was called.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    await hostile.check?.(run, report, bad);
  });
});
