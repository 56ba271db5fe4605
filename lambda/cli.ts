import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { type AuditPolicy, defaultPolicy } from './audit/policy.ts';
import { auditFleet } from './audit/run-fleet.ts';
import type { ClusterSource } from './collect/cluster-source.ts';
import { demoSource } from './collect/demo.ts';
import {
  defaultKubeconfigPaths,
  kubeconfigFromFiles,
  readContexts,
} from './collect/kube/kubeconfig-endpoint.ts';
import { ManifestSource } from './collect/manifest-source.ts';
import { kubeconfigContextSources } from './collect/sources.ts';
import { applyPolicyConfig, loadPolicyConfig } from './config/audit-config.ts';
import { helpText, isHelpTopic } from './config/cli-help.ts';
import {
  type CliCommand,
  type PlanOptions,
  parseCommandLine,
  type RepairOptions,
  type ScanOptions,
  type VerifyOptions,
} from './config/cli-options.ts';
import { ExitCode } from './config/cli-spec.ts';
import { notifySettingsFromEnv } from './config/notify-options.ts';
import { AuditError, describeError, UsageError } from './errors.ts';
import { describeOutcome, notifySecrets } from './notify/notify-run.ts';
import { runScan } from './pipeline.ts';
import { environmentSecrets, Redactor } from './redact.ts';
import type { Report } from './report/model.ts';
import { formatPlan } from './report/terminal-plan.ts';
import { formatDiffLine, formatTerminalSummary } from './report/terminal-summary.ts';
import { agentConfigMapNames } from './rules/agents/agent-catalog.ts';
import { RULES } from './rules/catalog.ts';
import { rulesAsJson, rulesAsMarkdown, rulesAsText } from './rules/describe.ts';
import { atLeast } from './rules/severity.ts';
import { openStore } from './store/open-store.ts';
import { repairHead } from './store/repair.ts';
import { verifyStore } from './store/verify.ts';
import { formatVerifyResult } from './store/verify-summary.ts';
import { printable } from './text.ts';
import { TOOL_VERSION } from './version.ts';

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  colour: boolean;
}

export function processIO(): CliIO {
  return {
    stdout: (text) => process.stdout.write(`${text}\n`),
    stderr: (text) => process.stderr.write(`${text}\n`),
    colour: process.stdout.isTTY === true && !process.env.NO_COLOR,
  };
}

/** The CLI entry: turns arguments into a request for the pipeline and the outcome into an exit code. */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  let command: CliCommand;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    return reportError(error, io);
  }
  switch (command.command) {
    case 'help':
      // An unknown topic prints the main help and exits as a usage error.
      io.stdout(helpText(command.topic !== undefined && isHelpTopic(command.topic) ? command.topic : 'main'));
      return command.topic !== undefined && !isHelpTopic(command.topic) ? ExitCode.usage : ExitCode.ok;
    case 'version':
      io.stdout(TOOL_VERSION);
      return ExitCode.ok;
    case 'rules':
      io.stdout(
        command.format === 'json'
          ? rulesAsJson(RULES)
          : command.format === 'markdown'
            ? rulesAsMarkdown(RULES)
            : rulesAsText(RULES),
      );
      return ExitCode.ok;
    case 'scan':
    case 'verify':
    case 'repair':
    case 'plan': {
      // Everything these print may quote a server, a plugin or an SDK: it passes the run's secrets first.
      const secrets = new Redactor().add(...environmentSecrets(process.env));
      const safe = redactingIO(io, secrets);
      const run =
        command.command === 'scan'
          ? scan(command.options, safe, secrets)
          : command.command === 'verify'
            ? verify(command.options, safe)
            : command.command === 'repair'
              ? repair(command.options, safe)
              : plan(command.options, safe, secrets);
      return run.catch((error: unknown) => reportError(error, safe));
    }
  }
}

function redactingIO(io: CliIO, secrets: Redactor): CliIO {
  return {
    stdout: (text) => io.stdout(secrets.redact(text)),
    stderr: (text) => io.stderr(secrets.redact(text)),
    colour: io.colour,
  };
}

async function policyFrom(configPath: string | undefined): Promise<AuditPolicy> {
  const base = defaultPolicy();
  return configPath ? applyPolicyConfig(base, await loadPolicyConfig(configPath)) : base;
}

async function scan(options: ScanOptions, io: CliIO, secrets: Redactor): Promise<number> {
  const policy = await policyFrom(options.configPath);
  // Bad notification settings (a generic webhook without its secret) stop the run before it reads anything.
  const notify = notifySettingsFromEnv(options.notify, process.env);
  secrets.add(...notifySecrets(notify));
  const { sources, usingDemo } = await sourcesFor(options, policy, io);
  const store = await openStore(
    options.store,
    options.kmsKeyId === undefined ? {} : { kmsKeyId: options.kmsKeyId },
  );
  const progress = options.quiet
    ? undefined
    : (cluster: string, message: string) => io.stderr(`[${printable(cluster)}] ${printable(message)}`);
  const { report, diff, written, stored, storeError, notification } = await runScan({
    sources,
    policy,
    formats: options.formats,
    outDir: options.outDir,
    store,
    ...(options.linkExpiresInSeconds !== undefined && { linkExpiresInSeconds: options.linkExpiresInSeconds }),
    identity: localIdentity(),
    concurrency: options.live.concurrency,
    secrets,
    notify,
    notifyDeps: {
      log: (event) => {
        if (!options.quiet) io.stderr(`[notify] ${printable(event.target)}: ${printable(event.message)}`);
      },
    },
    ...(progress && { onProgress: progress }),
  });
  for (const cluster of report.clusters) {
    for (const error of cluster.errors)
      io.stderr(
        `error: [${printable(cluster.name)}] ${printable(error.source)}: ${printable(error.message)}`,
      );
  }
  if (!options.quiet) {
    io.stdout(formatTerminalSummary(report, { colour: io.colour }));
    const html = written.find((path) => path.endsWith('.html'));
    io.stdout(
      printable(
        `Report: ${html ?? written[0]} (${written.map((path) => path.slice(path.lastIndexOf('/') + 1)).join(', ')})`,
      ),
    );
    io.stdout(formatDiffLine(diff));
    if (stored) io.stdout(`Kept as run ${stored.runId} in ${printable(stored.location)}`);
    if (notification) for (const line of describeOutcome(notification)) io.stdout(printable(line));
    if (usingDemo) {
      io.stdout(
        [
          '',
          'This was the bundled demo snapshot (no kubeconfig was found). To audit your own clusters:',
          '  npx dockershim-audit scan --kubeconfig path/to/kubeconfig --context NAME',
          '  npx dockershim-audit scan --manifests path/to/manifests/',
          '  kubectl get pods,deployments,daemonsets,statefulsets,cronjobs,nodes,configmaps,pdb -A -o json | npx dockershim-audit scan --manifests -',
        ].join('\n'),
      );
    }
  }
  if (storeError) {
    reportError(storeError, io);
    if (!stored)
      io.stderr(
        'The run was not stored, so nothing was announced; the next run compares with the last stored one.',
      );
    return ExitCode.incomplete;
  }
  if (notification && !notification.ok) {
    // The report is stored; only the message failed. Say so where scripts and people look.
    if (options.quiet) for (const line of describeOutcome(notification)) io.stderr(printable(line));
    io.stderr('error: the notification could not be delivered; the report is stored all the same.');
    return ExitCode.incomplete;
  }
  return exitCodeFor(report, options);
}

/** The plan stage on its own: read, audit, plan, print. Nothing is written, stored or sent. */
async function plan(options: PlanOptions, io: CliIO, secrets: Redactor): Promise<number> {
  const policy = await policyFrom(options.configPath);
  const { sources } = await sourcesFor(options, policy, io);
  const clusters = await auditFleet(sources, policy, {
    concurrency: options.live.concurrency,
    secrets,
    ...(!options.quiet && {
      onProgress: (cluster: string, message: string) =>
        io.stderr(`[${printable(cluster)}] ${printable(message)}`),
    }),
  });
  for (const cluster of clusters)
    for (const error of cluster.errors)
      io.stderr(
        `error: [${printable(cluster.name)}] ${printable(error.source)}: ${printable(error.message)}`,
      );
  io.stdout(
    options.format === 'json'
      ? JSON.stringify(
          {
            clusters: clusters.map((cluster) => ({
              name: cluster.name,
              status: cluster.status,
              migration: cluster.migration,
            })),
          },
          null,
          2,
        )
      : formatPlan(clusters, { runbooks: options.runbooks }),
  );
  return clusters.some((cluster) => cluster.status !== 'complete') ? ExitCode.incomplete : ExitCode.ok;
}

async function verify(options: VerifyOptions, io: CliIO): Promise<number> {
  const result = await verifyStore(await openStore(options.store));
  if (result.runs.length === 0 && result.problems.length === 0 && result.unchained.length === 0)
    throw new AuditError('STORE_EMPTY', `no stored runs in ${result.location}`, {
      hint: 'Name the store the scans wrote to with --store (s3://BUCKET/PREFIX or a folder).',
    });
  const { out, err, intact } = formatVerifyResult(result, { quiet: options.quiet });
  for (const line of out) io.stdout(line);
  for (const line of err) io.stderr(line);
  return intact ? ExitCode.ok : ExitCode.tampered;
}

async function repair(options: RepairOptions, io: CliIO): Promise<number> {
  const result = await repairHead(
    await openStore(options.store),
    options.runId ? { runId: options.runId } : {},
  );
  const chain = `${result.head.runs} ${result.head.runs === 1 ? 'run' : 'runs'}`;
  io.stdout(
    result.action === 'repaired'
      ? `latest.json in ${printable(result.location)} names run ${result.head.runId} again: its chain of ${chain} verifies.`
      : `latest.json in ${printable(result.location)} is sound (run ${result.head.runId}, a chain of ${chain}): nothing to repair.`,
  );
  if (result.outside.length > 0)
    io.stdout(
      `Outside the chain, and named by verify: ${result.outside.map((runId) => `run ${runId}`).join(', ')}.`,
    );
  return ExitCode.ok;
}

/**
 * The clusters a scan reads. With no source flag: the current context of the user's
 * kubeconfig, as kubectl would use it; with no kubeconfig at all, the bundled demo.
 */
async function sourcesFor(
  options: Pick<ScanOptions, 'source' | 'live'>,
  policy: AuditPolicy,
  io: CliIO,
): Promise<{ sources: ClusterSource[]; usingDemo: boolean }> {
  const { source } = options;
  if (source.type === 'manifests') {
    return { sources: [new ManifestSource(source.clusterName, source.paths)], usingDemo: false };
  }
  if (source.type === 'demo') return { sources: [demoSource()], usingDemo: true };
  const paths =
    source.type === 'kubeconfig' && source.path !== undefined ? [source.path] : defaultKubeconfigPaths();
  if (paths.length === 0) {
    if (source.type === 'default') return { sources: [demoSource()], usingDemo: true };
    throw new UsageError('no kubeconfig found', 'Name one with --kubeconfig PATH, or set KUBECONFIG.');
  }
  if (source.type === 'kubeconfig' && source.path !== undefined && !existsSync(source.path)) {
    throw new UsageError(`--kubeconfig ${source.path}: no such file`);
  }
  const kubeconfig = kubeconfigFromFiles(paths);
  const { contexts, current, insecure } = await readContexts(kubeconfig);
  const wanted = source.type === 'kubeconfig' ? source.contexts : 'current';
  let chosen: string[];
  if (wanted === 'all') chosen = contexts;
  else if (wanted === 'current') {
    if (!current)
      throw new UsageError(
        `the kubeconfig ${kubeconfig.origin} has no current context`,
        'Choose one with --context NAME, or use --all-contexts.',
      );
    chosen = [current];
  } else {
    const unknown = wanted.filter((name) => !contexts.includes(name));
    if (unknown.length > 0) {
      throw new UsageError(
        `no context ${unknown.map((name) => `"${name}"`).join(', ')} in ${kubeconfig.origin}`,
        `Its contexts: ${contexts.join(', ') || 'none'}.`,
      );
    }
    chosen = wanted;
  }
  if (chosen.length === 0) throw new UsageError(`the kubeconfig ${kubeconfig.origin} has no contexts`);
  // Said before anything is sent: the credentials go to whoever answers at that address.
  for (const context of chosen.filter((name) => insecure.includes(name)))
    io.stderr(
      `warning: [${printable(context)}] insecure-skip-tls-verify is set: the server's certificate is not checked, and the credentials go to whoever answers at its address`,
    );
  const sources = kubeconfigContextSources(kubeconfig, chosen, {
    configMapNames: agentConfigMapNames(policy.agents),
    readKubeletConfig: options.live.readKubeletConfig,
    deadlineMs: options.live.clusterTimeoutSeconds * 1000,
    maxResponseBytes: options.live.maxResponseMegabytes * 1024 * 1024,
  });
  return { sources, usingDemo: false };
}

export function exitCodeFor(report: Report, options: Pick<ScanOptions, 'failOn'>): number {
  if (report.clusters.some((cluster) => cluster.status !== 'complete')) return ExitCode.incomplete;
  const threshold = options.failOn;
  if (threshold) {
    const over = report.clusters.some((cluster) =>
      cluster.findings.some((finding) => !finding.exemption && atLeast(finding.severity, threshold)),
    );
    if (over) return ExitCode.failOn;
  }
  return ExitCode.ok;
}

function reportError(error: unknown, io: CliIO): number {
  if (error instanceof AuditError) {
    io.stderr(`error: ${printable(error.message)}`);
    if (error.hint) io.stderr(`hint: ${printable(error.hint)}`);
    return error instanceof UsageError ? ExitCode.usage : ExitCode.incomplete;
  }
  io.stderr(`error: ${printable(describeError(error))}`);
  io.stderr('This is a bug in dockershim-audit; please report it with the command you ran.');
  if (process.env.DOCKERSHIM_AUDIT_DEBUG && error instanceof Error && error.stack) io.stderr(error.stack);
  return ExitCode.incomplete;
}

function localIdentity(): string | undefined {
  try {
    return `local user ${userInfo().username}`;
  } catch {
    return undefined;
  }
}
