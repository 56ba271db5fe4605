/**
 * npm run bench: how the audit scales, measured in one run against the API-server simulator
 * (generated clusters, TLS on loopback, in a process of its own).
 *
 * For each size: the audit (wall time and peak RSS of `dockershim-audit scan --kubeconfig`),
 * the floor (every page of the same lists with the same client and JSON.parse, no rules), and
 * the Kubernetes docs' one-liner with kubectl. Then rendering a report with 10k findings, and
 * a fleet of 200 clusters of 2,000 pods through the fleet runner; then the same generated
 * cluster with 200k pods saved as a `kubectl get -o yaml` snapshot and as `-o json`, each read
 * by `scan --manifests` with its peak RSS (which must stay under 1 GB: the file is streamed).
 * Last, what loading @kubernetes/client-node costs a process (the audit loads it only for
 * kubeconfigs that need it: auth providers, impersonation, proxies). A table, then one JSON
 * line for the largest size.
 *
 *   npm run bench                      10k, 50k and 150k pods, rendering, fleet, 200k-pod snapshots
 *   npm run bench -- --pods 50000      one size only (or several: --pods 20000,50000)
 *   npm run bench -- --snapshot-pods 200000   the snapshot rows only
 *   npm run bench -- --smoke           tiny sizes, to check the harness itself (used by npm test)
 *   npm run bench -- --repeat 5        audit and floor runs per size (medians; default 3)
 *   npm run bench -- --server real     the same against a real kube-apiserver v1.20.2 on etcd
 *                                      (scripts/real-apiserver/build.sh), 20k and 50k pods;
 *                                      no rendering or fleet step (they do not depend on the server)
 *
 * KUBECTL names the kubectl to compare with (default: kubectl on the PATH, Debian's in CI).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ClusterAudit } from '../lambda/audit/cluster-audit.ts';
import { defaultPolicy } from '../lambda/audit/policy.ts';
import { DEFAULT_PAGE_SIZE, pageSizeFor } from '../lambda/collect/kubernetes-source.ts';
import { assembleReport } from '../lambda/report/assemble.ts';
import { renderReport } from '../lambda/report/render.ts';
import { newRunId } from '../lambda/run-id.ts';
import { RULES_VERSION, TOOL_VERSION } from '../lambda/version.ts';
import { writeSnapshot } from '../test/simulator/snapshot-file.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const NODE = process.execPath;
const KUBECTL = process.env.KUBECTL ?? 'kubectl';
const ONE_LINER = `{range .items[*]}{"\\n"}{.metadata.namespace}{":\\t"}{.metadata.name}{":\\t"}{range .spec.volumes[*]}{.hostPath.path}{", "}{end}{end}`;

export interface SizeResult {
  pods: number;
  nodes: number;
  auditS: number;
  floorS: number;
  kubectlS: number | null;
  peakRssMb: number;
  floorPeakRssMb: number;
  auditOverFloor: number;
  rssOverFloor: number;
  auditOverKubectl: number | null;
}

interface Simulator {
  kubeconfig: string;
  nodes: number;
  stop(): Promise<void>;
}

type ServerKind = 'simulator' | 'real';

async function startSimulator(
  pods: number,
  contexts = 1,
  server: ServerKind = 'simulator',
): Promise<Simulator> {
  const child = spawn(
    NODE,
    server === 'real'
      ? [join(HERE, 'real-server-process.ts'), '--pods', String(pods)]
      : [join(HERE, 'simulator-process.ts'), '--pods', String(pods), '--contexts', String(contexts)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NonNullable<ChildProcess['stdout']> });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the ${server} server exited (${code}) before listening`)));
  });
  const info = JSON.parse(line) as { kubeconfig: string; nodes: number };
  return {
    kubeconfig: info.kubeconfig,
    nodes: info.nodes,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

interface Timed {
  seconds: number;
  stdout: string;
  stderr: string;
  code: number | null;
}

function timed(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      // The one-liner's output is not needed, only its time: keep a little for diagnosis.
      if (stdout.length < 10_000) stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ seconds: (performance.now() - started) / 1000, stdout, stderr, code }),
    );
  });
}

function lastJsonLine<T>(text: string): T {
  const line = text
    .trim()
    .split('\n')
    .reverse()
    .find((candidate) => candidate.startsWith('{'));
  if (!line) throw new Error(`no JSON line in:\n${text.slice(-2000)}`);
  return JSON.parse(line) as T;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

async function measureSize(
  pods: number,
  withKubectl: boolean,
  repeat: number,
  server: ServerKind,
): Promise<SizeResult> {
  const simulator = await startSimulator(pods, 1, server);
  const out = await mkdtemp(join(tmpdir(), 'dsa-bench-'));
  try {
    // Floor and audit alternate, `repeat` times each, and the medians are compared: a machine
    // busy with something else slows both alike. Both are whole processes, startup included.
    const floorTimes: number[] = [];
    const auditTimes: number[] = [];
    let peakRssMb = 0;
    let floorPeakRssMb = 0;
    for (let round = 0; round < repeat; round++) {
      const floor = await timed(NODE, [
        join(HERE, 'floor.ts'),
        '--kubeconfig',
        simulator.kubeconfig,
        '--limit',
        String(DEFAULT_PAGE_SIZE),
        '--configmap-limit',
        String(pageSizeFor('ConfigMap')),
      ]);
      if (floor.code !== 0) throw new Error(`the floor failed:\n${floor.stderr.slice(-2000)}`);
      floorPeakRssMb = Math.max(floorPeakRssMb, lastJsonLine<{ maxRssMb: number }>(floor.stdout).maxRssMb);
      floorTimes.push(floor.seconds);
      const audit = await runAudit(['--kubeconfig', simulator.kubeconfig], out);
      auditTimes.push(audit.seconds);
      peakRssMb = Math.max(peakRssMb, audit.maxRssMb);
    }
    let kubectlS: number | null = null;
    if (withKubectl) {
      const kubectl = await timed(
        'bash',
        [
          '-c',
          `"$KUBECTL" --kubeconfig "$KC" get pods --all-namespaces -o=jsonpath='${ONE_LINER}' | sort | grep '/var/run/docker.sock' >/dev/null; exit "\${PIPESTATUS[0]}"`,
        ],
        {
          KUBECTL,
          KC: simulator.kubeconfig,
        },
      );
      if (kubectl.code !== 0) throw new Error(`kubectl failed:\n${kubectl.stderr.slice(-2000)}`);
      kubectlS = kubectl.seconds;
    }
    const auditS = median(auditTimes);
    const floorS = median(floorTimes);
    return {
      pods,
      nodes: simulator.nodes,
      auditS: round(auditS),
      floorS: round(floorS),
      kubectlS: kubectlS === null ? null : round(kubectlS),
      peakRssMb: Math.round(peakRssMb),
      floorPeakRssMb: Math.round(floorPeakRssMb),
      auditOverFloor: round(auditS / floorS),
      rssOverFloor: round(peakRssMb / floorPeakRssMb),
      auditOverKubectl: kubectlS === null ? null : round(auditS / kubectlS),
    };
  } finally {
    await simulator.stop();
    await rm(out, { recursive: true, force: true });
  }
}

/** Renders a report whose cluster has `findings` findings (one Docker socket per Deployment). */
async function measureRendering(findings: number): Promise<{ findings: number; htmlS: number; mdS: number }> {
  const audit = new ClusterAudit('render-bench', defaultPolicy());
  for (let index = 0; index < findings; index++) {
    audit.add({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `builder-${index}`, namespace: `team-${index % 50}` },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'build',
                image: 'docker:27-cli',
                volumeMounts: [{ name: 'sock', mountPath: '/var/run/docker.sock' }],
              },
            ],
            volumes: [{ name: 'sock', hostPath: { path: '/var/run/docker.sock' } }],
          },
        },
      },
    });
  }
  const cluster = audit.finish({ type: 'manifests', paths: ['generated'] }, { status: 'complete' });
  const now = new Date();
  const report = assembleReport([cluster], {
    runId: newRunId(now),
    generatedAt: now,
    toolVersion: TOOL_VERSION,
    rulesVersion: RULES_VERSION,
  });
  const time = async (format: 'html' | 'md') => {
    const started = performance.now();
    await renderReport(report, [format]);
    return round((performance.now() - started) / 1000);
  };
  await renderReport(report, ['json']); // template compilation is not what is measured
  return {
    findings: report.clusters[0]?.findings.length ?? 0,
    htmlS: await time('html'),
    mdS: await time('md'),
  };
}

async function measureFleet(
  clusters: number,
  podsPerCluster: number,
): Promise<{ clusters: number; pods: number; seconds: number; complete: number }> {
  const simulator = await startSimulator(podsPerCluster, clusters);
  const out = await mkdtemp(join(tmpdir(), 'dsa-fleet-'));
  try {
    const run = await runAudit(['--kubeconfig', simulator.kubeconfig, '--all-contexts'], out);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as {
      clusters: Array<{ status: string }>;
    };
    return {
      clusters,
      pods: podsPerCluster,
      seconds: round(run.seconds),
      complete: report.clusters.filter((c) => c.status === 'complete').length,
    };
  } finally {
    await simulator.stop();
    await rm(out, { recursive: true, force: true });
  }
}

/** The largest peak RSS a snapshot read may take: a 1 GB Lambda must be able to read it. */
const SNAPSHOT_RSS_LIMIT_MB = 1024;

interface SnapshotResult {
  format: 'yaml' | 'json';
  pods: number;
  gigabytes: number;
  seconds: number;
  peakRssMb: number;
  findings: number;
}

/**
 * The generated cluster as a kubectl snapshot file, read by `scan --manifests`: time, peak RSS
 * and findings. One format at a time, each file deleted after its run (they are gigabytes).
 */
async function measureSnapshot(pods: number, format: 'yaml' | 'json'): Promise<SnapshotResult> {
  const dir = await mkdtemp(join(tmpdir(), 'dsa-snapshot-'));
  try {
    const file = join(dir, `snapshot.${format}`);
    const written = await writeSnapshot(file, pods, format);
    const out = join(dir, 'out');
    const run = await runAudit(['--manifests', file], out);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as {
      clusters: Array<{ status: string; findings: unknown[] }>;
    };
    const cluster = report.clusters[0];
    if (cluster?.status !== 'complete') throw new Error(`the ${format} snapshot read ${cluster?.status}`);
    if (run.maxRssMb >= SNAPSHOT_RSS_LIMIT_MB)
      throw new Error(
        `the ${format} snapshot took ${Math.round(run.maxRssMb)} MB, over ${SNAPSHOT_RSS_LIMIT_MB} MB`,
      );
    return {
      format,
      pods,
      gigabytes: round(written.bytes / 1e9),
      seconds: round(run.seconds),
      peakRssMb: Math.round(run.maxRssMb),
      findings: cluster.findings.length,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function measureSnapshots(pods: number): Promise<void> {
  for (const format of ['yaml', 'json'] as const) {
    process.stderr.write(`bench: ${pods} pods as a ${format} snapshot...\n`);
    const snapshot = await measureSnapshot(pods, format);
    process.stdout.write(
      `snapshot ${snapshot.format}: ${snapshot.pods} pods, ${snapshot.gigabytes} GB in ${snapshot.seconds} s, peak RSS ${snapshot.peakRssMb} MB, ${snapshot.findings} findings\n`,
    );
  }
}

/**
 * What `import('@kubernetes/client-node')` adds to a process: wall time and peak RSS over a
 * bare Node process, alternating `repeat` times, medians.
 */
async function measureClientNode(repeat: number): Promise<{ seconds: number; megabytes: number }> {
  const library = import.meta.resolve('@kubernetes/client-node');
  const run = async (load: string) => {
    const code = `${load}process.stdout.write(JSON.stringify({ maxRssMb: process.resourceUsage().maxRSS / 1024 }));`;
    const child = await timed(NODE, ['--input-type=module', '-e', code]);
    if (child.code !== 0) throw new Error(`node -e failed:\n${child.stderr.slice(-2000)}`);
    return { seconds: child.seconds, maxRssMb: lastJsonLine<{ maxRssMb: number }>(child.stdout).maxRssMb };
  };
  const seconds: number[] = [];
  const megabytes: number[] = [];
  for (let round = 0; round < repeat; round++) {
    const bare = await run('');
    const loaded = await run(`await import(${JSON.stringify(library)});`);
    seconds.push(loaded.seconds - bare.seconds);
    megabytes.push(loaded.maxRssMb - bare.maxRssMb);
  }
  return { seconds: round(median(seconds)), megabytes: Math.round(median(megabytes)) };
}

/** `dockershim-audit scan <source> ...` as a process: its time and peak RSS; it must exit 0. */
async function runAudit(
  source: readonly string[],
  out: string,
): Promise<{ seconds: number; maxRssMb: number }> {
  const audit = await timed(NODE, [
    join(HERE, 'measure-cli.ts'),
    'scan',
    ...source,
    '--out',
    out,
    '--format',
    'json',
    '--quiet',
  ]);
  const result = lastJsonLine<{ exitCode: number; maxRssMb: number }>(audit.stderr);
  if (result.exitCode !== 0)
    throw new Error(`the audit exited ${result.exitCode}:\n${audit.stderr.slice(-2000)}`);
  return { seconds: audit.seconds, maxRssMb: result.maxRssMb };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function table(results: SizeResult[]): string {
  const rows = [
    [
      'pods',
      'nodes',
      'audit s',
      'floor s',
      'kubectl s',
      'peak RSS MB',
      'floor RSS MB',
      'audit/floor',
      'RSS/floor',
      'audit/kubectl',
    ],
    ...results.map((r) =>
      [
        r.pods,
        r.nodes,
        r.auditS,
        r.floorS,
        r.kubectlS ?? '-',
        r.peakRssMb,
        r.floorPeakRssMb,
        r.auditOverFloor,
        r.rssOverFloor,
        r.auditOverKubectl ?? '-',
      ].map(String),
    ),
  ];
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows
    .map((row) => row.map((cell, column) => cell.padStart(widths[column] ?? 0)).join('  '))
    .join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pods: { type: 'string' },
      smoke: { type: 'boolean' },
      'no-kubectl': { type: 'boolean' },
      repeat: { type: 'string' },
      'snapshot-pods': { type: 'string' },
      server: { type: 'string' },
    },
  });
  if (values['snapshot-pods']) {
    await measureSnapshots(Number(values['snapshot-pods']));
    return;
  }
  const server = (values.server ?? 'simulator') as ServerKind;
  if (server !== 'simulator' && server !== 'real') throw new Error(`--server ${server}: simulator or real`);
  const repeat = Number(values.repeat ?? (values.smoke ? 1 : 3));
  const smoke = values.smoke === true;
  const sizes = values.pods
    ? values.pods.split(',').map(Number)
    : smoke
      ? [300, 600]
      : server === 'real'
        ? [20_000, 50_000]
        : [10_000, 50_000, 150_000];
  const withKubectl = values['no-kubectl'] !== true;
  const results: SizeResult[] = [];
  for (const pods of sizes) {
    process.stderr.write(
      `bench: ${pods} pods on the ${server === 'real' ? 'real server' : 'simulator'}...\n`,
    );
    results.push(await measureSize(pods, withKubectl, repeat, server));
  }
  process.stdout.write(`${table(results)}\n`);
  if (!values.pods && server === 'simulator') {
    const rendering = await measureRendering(smoke ? 200 : 10_000);
    process.stdout.write(
      `rendering ${rendering.findings} findings: HTML ${rendering.htmlS} s, Markdown ${rendering.mdS} s\n`,
    );
    const fleet = smoke ? await measureFleet(3, 200) : await measureFleet(200, 2_000);
    process.stdout.write(
      `fleet: ${fleet.clusters} clusters of ${fleet.pods} pods in ${fleet.seconds} s (${fleet.complete} complete)\n`,
    );
    await measureSnapshots(smoke ? 600 : 200_000);
  }
  const library = await measureClientNode(repeat);
  process.stdout.write(
    `client-node: loading it takes ${library.seconds} s and ${library.megabytes} MB more than a bare Node process (medians of ${repeat})\n`,
  );
  const largest = results.at(-1);
  if (largest) {
    const { nodes: _nodes, ...line } = largest;
    process.stdout.write(`${JSON.stringify({ server, ...line })}\n`);
  }
}

await main();
