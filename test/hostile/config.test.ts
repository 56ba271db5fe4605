import { existsSync } from 'node:fs';
import { mkdtemp, readFile, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import type { ClusterStatus, Report } from '../../lambda/report/model.ts';
import { demoObjects, TOKEN } from '../helpers/live.ts';
import { REPO_ROOT } from '../helpers/paths.ts';
import { assertValidReport } from '../helpers/report-schema.ts';
import { runCli } from '../helpers/run-cli.ts';
import { ApiServerSimulator } from '../simulator/api-server.ts';
import { clusterFromObjects } from '../simulator/cluster-data.ts';
import { type TestContext, writeKubeconfig } from '../simulator/kubeconfig.ts';

/**
 * Hostile and mistaken configuration, run as a user runs the CLI: kubeconfig values of the
 * wrong type, timer values past what a timer holds, policy exemptions that would exempt
 * everything, dates that do not exist, files far too large. Each case names its input, what
 * the run comes to (`refused`: nothing read, nothing written; else each cluster's status), the
 * exit code and the message. Where a run goes ahead, the good cluster's findings are all there.
 */
interface ConfigCase {
  name: string;
  /** The command line after `scan --out DIR`. */
  args: () => Promise<string[]>;
  /** `refused`: stopped before reading anything. Otherwise the status of each cluster, by name. */
  outcome: 'refused' | Record<string, ClusterStatus>;
  exit: number;
  /** On stderr, and (for a cluster that failed) in its errors. */
  message: string;
  check?: (report: Report) => void;
}

const MIB = 1024 * 1024;
const DEMO = `${REPO_ROOT}demo/cluster.json`;
let server: ApiServerSimulator;
let dir: string;
let demoFindings: string[];

const good = (): TestContext => ({
  name: 'prod',
  server: server.url,
  caPem: server.caPem,
  user: { token: TOKEN },
});
const other = (changes: Partial<TestContext>): TestContext => ({ ...good(), name: 'other', ...changes });
const kubeconfigArgs = async (contexts: TestContext[], current?: string, top?: Record<string, unknown>) => [
  '--kubeconfig',
  await writeKubeconfig(contexts, current, top),
  '--all-contexts',
];
const file = async (name: string, text: string) => {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
};
/** A file of `size` bytes that takes no room on disk (sparse). */
const hugeFile = async (name: string, size: number) => {
  const path = await file(name, '');
  await truncate(path, size);
  return path;
};
const withPolicy = async (exemption: Record<string, unknown>) => [
  '--manifests',
  DEMO,
  '--config',
  await file(`policy-${Math.random().toString(36).slice(2)}.yaml`, stringify({ exemptions: [exemption] })),
];
const findingsOf = (report: Report, cluster: string) =>
  report.clusters
    .find((entry) => entry.name === cluster)
    ?.findings.filter((finding) => !finding.exemption)
    .map((finding) => `${finding.rule} ${finding.resource.kind}/${finding.resource.name}`)
    .sort() ?? [];

const CASES: ConfigCase[] = [
  // Kubeconfig values of the wrong type.
  {
    name: 'current-context: {a: 1}',
    args: () =>
      kubeconfigArgs([good()], undefined, { 'current-context': { a: 1 } }).then((args) => args.slice(0, 2)),
    outcome: 'refused',
    exit: 1,
    message: 'current-context must be a context name, not a mapping',
  },
  {
    name: 'contexts: a mapping instead of a list',
    args: () => kubeconfigArgs([good()], undefined, { contexts: { prod: {} } }),
    outcome: 'refused',
    exit: 1,
    message: 'contexts must be a list, not a mapping',
  },
  {
    name: 'a user whose token is a number, next to a good context',
    args: () => kubeconfigArgs([good(), other({ user: { raw: { token: 12345 } } })]),
    outcome: { prod: 'complete', other: 'failed' },
    exit: 1,
    message: 'users[1] ("other-user"): user.token must be a string, not a number',
  },
  {
    name: 'a cluster whose server is a number, next to a good context',
    args: () => kubeconfigArgs([good(), other({ cluster: { server: 6443 } })]),
    outcome: { prod: 'complete', other: 'failed' },
    exit: 1,
    message: 'clusters[1] ("other"): cluster.server must be a string, not a number',
  },
  {
    name: 'exec args that are not strings, next to a good context',
    args: () =>
      kubeconfigArgs([good(), other({ user: { raw: { exec: { command: 'x', args: [{ a: 1 }] } } } })]),
    outcome: { prod: 'complete', other: 'failed' },
    exit: 1,
    message: 'user.exec.args[0] must be a string, not a mapping',
  },
  {
    name: 'a kubeconfig of 600 MB',
    args: async () => ['--kubeconfig', await hugeFile('kubeconfig', 600 * MIB), '--all-contexts'],
    outcome: 'refused',
    exit: 1,
    message: 'is 600 MB, more than a kubeconfig can be (16 MB)',
  },
  {
    name: 'a kubeconfig that never ends (/dev/zero)',
    args: async () => ['--kubeconfig', '/dev/zero', '--all-contexts'],
    outcome: 'refused',
    exit: 1,
    message: 'kubeconfig /dev/zero: is 16 MB, more than a kubeconfig can be (16 MB)',
  },
  // Timer and size values past what they can mean.
  {
    name: '--cluster-timeout 3000000 (past what a timer holds)',
    args: async () => ['--manifests', DEMO, '--cluster-timeout', '3000000'],
    outcome: 'refused',
    exit: 2,
    message: '--cluster-timeout must be a whole number of seconds from 1 to 86400, not "3000000"',
  },
  {
    name: '--cluster-timeout 1e20',
    args: async () => ['--manifests', DEMO, '--cluster-timeout', '1e20'],
    outcome: 'refused',
    exit: 2,
    message: '--cluster-timeout must be a whole number of seconds from 1 to 86400, not "1e20"',
  },
  {
    name: '--concurrency 1e20',
    args: async () => ['--manifests', DEMO, '--concurrency', '1e20'],
    outcome: 'refused',
    exit: 2,
    message: '--concurrency must be a whole number from 1 to 64, not "1e20"',
  },
  {
    name: '--max-response-mb 4096 (past what a string holds)',
    args: async () => ['--manifests', DEMO, '--max-response-mb', '4096'],
    outcome: 'refused',
    exit: 2,
    message: '--max-response-mb must be a whole number of MiB from 1 to 256, not "4096"',
  },
  // Policy exemptions that would exempt everything, and dates that do not exist.
  ...['*/*/*', '**/*/*', '*/**/**'].map(
    (resource): ConfigCase => ({
      name: `an exemption of resource "${resource}" without a rule`,
      args: () => withPolicy({ resource, reason: 'quiet please' }),
      outcome: 'refused',
      exit: 1,
      message: `exemptions[0] must name a rule, a resource or a findingId (resource ${resource} matches every resource)`,
    }),
  ),
  {
    name: 'an exemption of resource "* / * / *" (spaces)',
    args: () => withPolicy({ resource: '* / * / *', reason: 'quiet please' }),
    outcome: 'refused',
    exit: 1,
    message: 'exemptions[0].resource must not contain spaces',
  },
  {
    name: 'an exemption of resource "*"',
    args: () => withPolicy({ resource: '*', reason: 'quiet please' }),
    outcome: 'refused',
    exit: 1,
    message: 'exemptions[0].resource must be Kind/namespace/name',
  },
  {
    name: 'an exemption of resource "daemonset/*/*" (a kind in lower case matches nothing)',
    args: () => withPolicy({ resource: 'daemonset/*/*', reason: 'quiet please' }),
    outcome: 'refused',
    exit: 1,
    message: 'exemptions[0].resource has a kind Kubernetes does not write: "daemonset"',
  },
  {
    name: 'an exemption that expires on 2027-02-31',
    args: () => withPolicy({ rule: 'DS001', reason: 'later', expires: '2027-02-31' }),
    outcome: 'refused',
    exit: 1,
    message: 'exemptions[0].expires must be a date that exists (YYYY-MM-DD): 2027-02-31',
  },
  {
    name: 'an exemption that expires on 2026-02-29 (not a leap year)',
    args: () => withPolicy({ rule: 'DS001', reason: 'later', expires: '2026-02-29' }),
    outcome: 'refused',
    exit: 1,
    message: 'exemptions[0].expires must be a date that exists (YYYY-MM-DD): 2026-02-29',
  },
  {
    name: 'a policy file of 600 MB',
    args: async () => ['--manifests', DEMO, '--config', await hugeFile('policy.yaml', 600 * MIB)],
    outcome: 'refused',
    exit: 1,
    message: 'is 600 MB, more than a policy file can be (16 MB)',
  },
  {
    name: 'a policy file that never ends (/dev/zero)',
    args: async () => ['--manifests', DEMO, '--config', '/dev/zero'],
    outcome: 'refused',
    exit: 1,
    message: '/dev/zero: is 16 MB, more than a policy file can be (16 MB)',
  },
  // What is meant stays allowed.
  {
    name: 'an exemption of every DaemonSet, without a rule (narrow enough)',
    args: () => withPolicy({ resource: 'DaemonSet/*/*', reason: 'agents move last', expires: '2028-02-29' }),
    outcome: { manifests: 'complete' },
    exit: 0,
    message: '',
    check: (report) => {
      const findings = report.clusters[0]?.findings ?? [];
      expect(
        findings.filter((finding) => finding.resource.kind === 'DaemonSet').every((f) => f.exemption),
      ).toBe(true);
      expect(findingsOf(report, 'manifests')).toEqual(
        demoFindings.filter((finding) => !finding.includes(' DaemonSet/')),
      );
    },
  },
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dsa-hostile-config-'));
  server = await ApiServerSimulator.start({
    data: clusterFromObjects(demoObjects()),
    tokens: { [TOKEN]: 'auditor' },
  });
  const out = await mkdtemp(join(tmpdir(), 'dsa-hostile-config-'));
  await runCli(['scan', '--manifests', DEMO, '--cluster-name', 'prod', '--out', out, '-q']);
  demoFindings = findingsOf(JSON.parse(await readFile(join(out, 'report.json'), 'utf8')), 'prod');
  expect(demoFindings.length).toBeGreaterThan(20);
});
afterAll(() => server.close());

describe('hostile and mistaken configuration: a clear error, and nothing half done', () => {
  test.each(CASES)('$name', { timeout: 60_000 }, async (hostile) => {
    const out = await mkdtemp(join(tmpdir(), 'dsa-hostile-config-'));
    const run = await runCli(['scan', '--out', out, ...(await hostile.args())]);

    expect(run.code, run.stderr).toBe(hostile.exit);
    expect(run.stderr).not.toContain('This is a bug');
    if (hostile.message !== '') expect(run.stderr).toContain(hostile.message);
    if (hostile.outcome === 'refused') {
      expect(existsSync(join(out, 'report.json'))).toBe(false);
      expect(run.stderr).toMatch(/^hint: /m);
      return;
    }
    const report: unknown = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assertValidReport(report);
    expect(Object.fromEntries(report.clusters.map((cluster) => [cluster.name, cluster.status]))).toEqual(
      hostile.outcome,
    );
    for (const cluster of report.clusters) {
      if (cluster.status === 'failed') expect(cluster.errors.at(-1)?.message).toContain(hostile.message);
      // The good cluster next to the bad one: every finding the demo has.
      if (cluster.name === 'prod') expect(findingsOf(report, 'prod')).toEqual(demoFindings);
    }
    hostile.check?.(report);
  });
});
