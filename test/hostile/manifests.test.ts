/**
 * Hostile and unusual manifest input, as a tester and a new user tried it (issue 12): each case
 * names its input, the cluster status, the exit code and the message the user reads, and the
 * findings that must still be there: the good objects beside the bad one, and what used to be
 * lost. The CLI runs as a process, as a user would run it.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { resourceKey } from '../../lambda/kube/objects.ts';
import type { ClusterStatus, DiffDocument, Report } from '../../lambda/report/model.ts';
import { daemonSet, podSpec } from '../helpers/objects.ts';
import { startReceiver } from '../helpers/receiver.ts';
import { assertValidReport } from '../helpers/report-schema.ts';
import { runCli } from '../helpers/run-cli.ts';
import { writeSnapshot } from '../simulator/snapshot-file.ts';

const MB = 1024 * 1024;

/** A DaemonSet on the Docker socket: the good neighbour every case must still report. */
const socketAgent = (name: string, metadata: Record<string, unknown> = {}) => {
  const object = daemonSet(
    name,
    podSpec({
      hostPaths: { sock: '/var/run/docker.sock' },
      containers: [{ name: 'agent', mounts: [{ volume: 'sock', at: '/var/run/docker.sock' }] }],
    }),
    'monitoring',
  );
  return { ...object, metadata: { ...(object.metadata as object), ...metadata } };
};
const GOOD = 'DaemonSet/monitoring/good-agent';
const writeGood = (dir: string) => writeFile(join(dir, 'good.yaml'), stringify(socketAgent('good-agent')));

/** A Pod on the Docker socket with the metadata given (or none). */
const socketPod = (metadata?: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  ...(metadata && { metadata }),
  spec: podSpec({
    hostPaths: { sock: '/var/run/docker.sock' },
    containers: [{ name: 'build', mounts: [{ volume: 'sock', at: '/var/run/docker.sock' }] }],
  }),
});

/** `a: &a [lol x9]`, `b: &b [*a x9]` ... nine levels: a few hundred bytes that expand to 9^10 values. */
function aliasBomb(): string {
  const lines = ['  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let level = 1; level < 10; level++) {
    const name = String.fromCharCode(97 + level);
    const previous = String.fromCharCode(96 + level);
    lines.push(`  ${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`);
  }
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n${lines.join('\n')}\n`;
}

const DEPTH = 100_000;

interface HostileCase {
  /** The input, in the issue's words. */
  name: string;
  /** Writes the input under `dir`; returns the paths for --manifests. */
  build(dir: string): Promise<string[]>;
  stdin?: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  status: ClusterStatus;
  exitCode: number;
  /** What the user reads on the terminal (stdout or stderr). */
  message: RegExp;
  /** Resources (Kind/namespace/name) that must have findings. */
  findings: Array<string | RegExp>;
  /** Objects read, by kind, where the count is the point. */
  objects?: Record<string, number>;
}

const CASES: HostileCase[] = [
  {
    name: 'a Pod with only generateName mounting the Docker socket',
    build: async (dir) => {
      await writeGood(dir);
      await writeFile(
        join(dir, 'ci-pod.yaml'),
        stringify(socketPod({ generateName: 'runner-', namespace: 'ci' })),
      );
      return [dir];
    },
    args: ['--fail-on', 'high'],
    status: 'complete',
    exitCode: 3,
    message: /1 object has no metadata\.name .*Pod\/ci\/runner-\(generated\) \(.*ci-pod\.yaml document 1\)/,
    findings: [GOOD, 'Pod/ci/runner-(generated)'],
  },
  {
    name: 'a Pod with no metadata at all, the second document of its file',
    build: async (dir) => {
      await writeGood(dir);
      const file = join(dir, 'templates.yaml');
      await writeFile(file, `${stringify(socketAgent('first'))}---\n${stringify(socketPod())}`);
      return [dir];
    },
    status: 'complete',
    exitCode: 0,
    message: /1 object has no metadata\.name/,
    findings: [GOOD, /^Pod\/\/\(unnamed: .*templates\.yaml document 2\)$/],
  },
  {
    name: 'empty standard input (kubectl failed and printed nothing) under --fail-on high',
    build: async () => ['-'],
    stdin: '',
    args: ['--fail-on', 'high'],
    status: 'failed',
    exitCode: 1,
    message: /standard input was empty/,
    findings: [],
  },
  {
    name: 'empty standard input beside a good file',
    build: async (dir) => {
      await writeGood(dir);
      return ['-', join(dir, 'good.yaml')];
    },
    stdin: '\n',
    args: ['--fail-on', 'high'],
    status: 'partial',
    exitCode: 1,
    message: /\(stdin\): standard input was empty/,
    findings: [GOOD],
  },
  {
    name: 'a folder of empty files',
    build: async (dir) => {
      await writeFile(join(dir, 'empty.yaml'), '');
      await writeFile(join(dir, 'blank.json'), '  \n');
      return [dir];
    },
    status: 'failed',
    exitCode: 1,
    message: /no Kubernetes object was found in 2 files read/,
    findings: [],
  },
  {
    name: 'a folder of Helm values files (documents without a kind)',
    build: async (dir) => {
      await writeFile(join(dir, 'values.yaml'), 'replicaCount: 2\nimage:\n  tag: "1.0"\n');
      return [dir];
    },
    status: 'failed',
    exitCode: 1,
    message: /1 document held no Kubernetes object/,
    findings: [],
  },
  {
    name: 'an empty folder',
    build: async (dir) => [dir],
    status: 'failed',
    exitCode: 1,
    message: /no \.yaml, \.yml or \.json file was found/,
    findings: [],
  },
  {
    name: 'a symlinked file and a symlinked folder inside --manifests',
    build: async (dir) => {
      const root = join(dir, 'manifests');
      const elsewhere = join(dir, 'elsewhere');
      await mkdir(join(elsewhere, 'agents'), { recursive: true });
      await mkdir(root);
      await writeGood(root);
      await writeFile(join(elsewhere, 'linked-file.yaml'), stringify(socketAgent('linked-file')));
      await writeFile(
        join(elsewhere, 'agents', 'in-folder.yaml'),
        stringify(socketAgent('in-linked-folder')),
      );
      await symlink(join(elsewhere, 'linked-file.yaml'), join(root, 'linked-file.yaml'));
      await symlink(join(elsewhere, 'agents'), join(root, 'agents'));
      return [root];
    },
    status: 'complete',
    exitCode: 0,
    message: /Followed 2 symbolic links: .*agents -> .*elsewhere\/agents, .*linked-file\.yaml -> /,
    findings: [GOOD, 'DaemonSet/monitoring/linked-file', 'DaemonSet/monitoring/in-linked-folder'],
  },
  {
    name: 'a symbolic link loop (a folder linking to its parent)',
    build: async (dir) => {
      await mkdir(join(dir, 'team'));
      await writeGood(join(dir, 'team'));
      await symlink(dir, join(dir, 'team', 'loop'));
      return [dir];
    },
    status: 'complete',
    exitCode: 0,
    message: /Not read: .*loop leads to .*, which is already read/,
    findings: [GOOD],
  },
  {
    name: 'a YAML alias bomb beside good files',
    build: async (dir) => {
      await writeGood(dir);
      await writeFile(join(dir, 'bomb.yaml'), aliasBomb());
      return [dir];
    },
    status: 'partial',
    exitCode: 1,
    message: /bomb\.yaml:1: invalid YAML in document 1: .*alias bomb/,
    findings: [GOOD],
  },
  {
    name: 'a 100k-deep nested List as JSON beside good files',
    build: async (dir) => {
      await writeGood(dir);
      await writeFile(
        join(dir, 'deep.json'),
        `${'{"kind":"List","items":['.repeat(DEPTH)}{}${']}'.repeat(DEPTH)}`,
      );
      return [dir];
    },
    status: 'partial',
    exitCode: 1,
    message: /deep\.json:1: item 1 of document 1 is nested deeper than 256 levels/,
    findings: [GOOD],
  },
  {
    name: 'a 100k-deep nested List as YAML beside good files',
    build: async (dir) => {
      await writeGood(dir);
      await writeFile(
        join(dir, 'deep.yaml'),
        `${'{kind: List, items: ['.repeat(DEPTH)}{}${']}'.repeat(DEPTH)}\n`,
      );
      return [dir];
    },
    status: 'partial',
    exitCode: 1,
    message: /deep\.yaml:1: invalid YAML in document 1: nesting exceeded maxDepth \(256\)/,
    findings: [GOOD],
  },
  {
    name: 'a folder with 130,000 files, below the folder named',
    build: async (dir) => {
      await writeGood(dir);
      // Below the top: the files of a subfolder were spread into one call's arguments.
      const generated = join(dir, 'generated');
      await mkdir(generated);
      const names = Array.from({ length: 130_000 }, (_, index) => `cm-${index}.json`);
      for (let start = 0; start < names.length; start += 1000) {
        await Promise.all(
          names
            .slice(start, start + 1000)
            .map((name) =>
              writeFile(
                join(generated, name),
                `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name}"}}`,
              ),
            ),
        );
      }
      return [dir];
    },
    status: 'complete',
    exitCode: 0,
    message: /Cluster manifests: complete/,
    findings: [GOOD],
    objects: { ConfigMap: 130_000, DaemonSet: 1 },
  },
  {
    name: 'a kubectl -o yaml snapshot (a single List of 40 MB) in a process with 128 MB of heap',
    build: async (dir) => {
      const file = join(dir, 'snapshot.yaml');
      const written = await writeSnapshot(file, 6_000, 'yaml');
      expect(written.bytes).toBeGreaterThan(35 * MB);
      return [file];
    },
    env: { NODE_OPTIONS: '--max-old-space-size=128' },
    status: 'complete',
    exitCode: 0,
    message: /Cluster manifests: complete/,
    findings: ['DaemonSet/datadog/datadog', 'Deployment/ci/ci-runner-0'],
    objects: { Pod: 6_000 },
  },
  {
    name: 'the same snapshot as kubectl -o json (90 MB) in a process with 128 MB of heap',
    build: async (dir) => {
      const file = join(dir, 'snapshot.json');
      const written = await writeSnapshot(file, 6_000, 'json');
      expect(written.bytes).toBeGreaterThan(80 * MB);
      return [file];
    },
    env: { NODE_OPTIONS: '--max-old-space-size=128' },
    status: 'complete',
    exitCode: 0,
    message: /Cluster manifests: complete/,
    findings: ['DaemonSet/datadog/datadog', 'Deployment/ci/ci-runner-0'],
    objects: { Pod: 6_000 },
  },
  {
    name: 'a 600 MB file: one line of 600 MB, then a good document',
    build: async (dir) => {
      await writeGood(dir);
      const file = join(dir, 'huge.yaml');
      // Sparse: 600 MB of NUL bytes that take no disk.
      await writeFile(file, '');
      await truncate(file, 600 * MB);
      await writeFile(file, `\n---\n${stringify(socketAgent('after-the-junk'))}`, { flag: 'a' });
      return [dir];
    },
    status: 'partial',
    exitCode: 1,
    message: /huge\.yaml:1: document 1 is larger than 8 MB/,
    findings: [GOOD, 'DaemonSet/monitoring/after-the-junk'],
  },
];

/** Some inputs are large (130,000 files, a sparse 600 MB file): none outlives its test. */
const made: string[] = [];
const tempDir = async (prefix: string) => {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};
afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}, 300_000);

describe('hostile and unusual manifests: nothing read is lost silently, nothing grows without bound', () => {
  test.each(CASES)(
    '$name',
    async (hostile) => {
      const dir = await tempDir('dsa-hostile-manifests-');
      const out = join(dir, 'out');
      const paths = await hostile.build(dir);
      const run = await runCli(
        ['scan', '--manifests', ...paths, '--out', out, '--format', 'json', ...(hostile.args ?? [])],
        { input: hostile.stdin ?? '', ...(hostile.env && { env: hostile.env }) },
      );
      expect(`${run.stdout}\n${run.stderr}`).toMatch(hostile.message);
      expect(run.code).toBe(hostile.exitCode);
      const report: unknown = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
      assertValidReport(report);
      const [cluster] = report.clusters;
      expect(cluster?.status).toBe(hostile.status);
      if (hostile.objects) expect(cluster?.objects).toMatchObject(hostile.objects);
      const withFindings = new Set(cluster?.findings.map((finding) => resourceKey(finding.resource)));
      for (const expected of hostile.findings) {
        if (typeof expected === 'string') expect(withFindings).toContain(expected);
        else expect([...withFindings]).toContainEqual(expect.stringMatching(expected));
      }
    },
    600_000,
  );
});

describe('a source that yielded nothing is incomplete for the diff and the webhook', () => {
  test('empty standard input after a run with findings: no finding is "resolved", and the message says the cluster failed', async () => {
    const receiver = await startReceiver();
    try {
      const dir = await tempDir('dsa-hostile-manifests-diff-');
      const scan = (stdin: string) =>
        runCli(
          [
            'scan',
            '--manifests',
            '-',
            '--store',
            join(dir, 'store'),
            '--out',
            join(dir, 'out'),
            '--webhook',
            receiver.url,
            '--webhook-format',
            'generic',
            '-q',
          ],
          { input: stdin, env: { DOCKERSHIM_AUDIT_WEBHOOK_SECRET: 'a-signing-secret-of-32-characters!' } },
        );
      const snapshot = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [socketAgent('good-agent')] });
      expect((await scan(snapshot)).code).toBe(0);
      const empty = await scan('');
      expect(empty.code).toBe(1);
      const diff = JSON.parse(await readFile(join(dir, 'out', 'diff.json'), 'utf8')) as DiffDocument;
      const [cluster] = diff.clusters;
      expect(cluster).toMatchObject({ status: 'failed', previousStatus: 'complete', resolved: [] });
      expect(cluster?.resolvedWithheld).toBeTruthy();
      expect(diff.summary.resolved).toBe(0);
      // The webhook hears of the failed reading, not of a fix.
      expect(receiver.requests).toHaveLength(2);
      const posted = JSON.parse(receiver.requests[1]?.body ?? '{}') as DiffDocument;
      expect(posted.clusters[0]).toMatchObject({ status: 'failed', resolved: [] });
      const report = JSON.parse(await readFile(join(dir, 'out', 'report.json'), 'utf8')) as Report;
      expect(report.clusters[0]?.errors.map((error) => error.message)).toContain(
        'standard input was empty: nothing was piped in (did the command before the pipe fail?)',
      );
    } finally {
      await receiver.close();
    }
  });
});
