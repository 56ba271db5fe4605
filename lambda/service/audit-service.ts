import { ClusterAudit } from '../audit/cluster-audit.ts';
import { type AuditPolicy, defaultPolicy } from '../audit/policy.ts';
import { auditCluster } from '../audit/run-fleet.ts';
import type { ClusterSource } from '../collect/cluster-source.ts';
import { eksClusterSource, type LiveReadOptions, storedKubeconfigSource } from '../collect/sources.ts';
import { applyPolicyConfig } from '../config/audit-config.ts';
import { ConfigError } from '../config/errors.ts';
import type { AuditServiceConfig, ClusterEntry } from '../config/lambda-config.ts';
import type { ServiceEnvironment } from '../config/service-environment.ts';
import type { NotifySettings } from '../notify/settings.ts';
import { type PublishOptions, publishRun, runScan, type ScanResult } from '../pipeline.ts';
import { newRunId } from '../report/assemble.ts';
import { type ClusterReport, ClusterStatus } from '../report/model.ts';
import { REPORT_FORMATS } from '../report/render.ts';
import { agentConfigMapNames } from '../rules/agents/agent-catalog.ts';
import { openStore } from '../store/open-store.ts';
import type { ReportStore } from '../store/report-store.ts';
import { readStagedClusterReport, stageClusterReport } from '../store/staging.ts';

/**
 * The audit as a service runs it: every configured cluster in one Lambda run, or, in fleet
 * mode, planned, fanned out one cluster per invocation and aggregated. All of it is the same
 * pipeline the CLI runs; this module only turns the service's configuration into requests.
 */
export interface ServiceContext {
  config: AuditServiceConfig;
  environment: ServiceEnvironment;
  notify: NotifySettings;
  /** Who runs the audit, for the report (the function's ARN). */
  identity: string;
  /** The run's deadline: what is not read by then is marked failed ("deadline") and the run is stored. */
  signal: AbortSignal;
  log: (entry: Record<string, unknown>) => void;
  now?: () => Date;
}

export function policyOf(config: AuditServiceConfig, now: Date): AuditPolicy {
  const base = defaultPolicy(now);
  return config.policy ? applyPolicyConfig(base, config.policy) : base;
}

export function serviceSources(
  config: AuditServiceConfig,
  policy: AuditPolicy,
  entries = config.clusters,
): ClusterSource[] {
  const options: LiveReadOptions = {
    configMapNames: agentConfigMapNames(policy.agents),
    readKubeletConfig: config.readKubeletConfig,
    deadlineMs: config.clusterTimeoutSeconds * 1000,
  };
  return entries.map((entry) => sourceFor(entry, options));
}

function sourceFor(entry: ClusterEntry, options: LiveReadOptions): ClusterSource {
  if (entry.type === 'eks') {
    return eksClusterSource(
      entry.name,
      {
        clusterName: entry.clusterName,
        region: entry.region,
        ...(entry.roleArn && { roleArn: entry.roleArn }),
      },
      options,
    );
  }
  const secret =
    'secretArn' in entry ? { secretArn: entry.secretArn } : { parameterName: entry.parameterName };
  return storedKubeconfigSource(entry.name, secret, entry.context, options);
}

async function evidenceStore(environment: ServiceEnvironment): Promise<ReportStore> {
  return openStore(
    { type: 's3', bucket: environment.bucket, prefix: environment.prefix },
    environment.kmsKeyId === undefined ? {} : { kmsKeyId: environment.kmsKeyId },
  );
}

function publishOptions(context: ServiceContext, policy: AuditPolicy, store: ReportStore): PublishOptions {
  return {
    policy,
    formats: REPORT_FORMATS,
    store,
    linkExpiresInSeconds: context.environment.linkExpirySeconds,
    notify: context.notify,
    notifyDeps: {
      log: (event) => context.log({ level: 'info', message: `notify ${event.target}: ${event.message}` }),
    },
    identity: context.identity,
    ...(context.now && { now: context.now }),
  };
}

/** The scheduled run: every cluster, a few at a time, then store and announce. */
export async function runAll(context: ServiceContext): Promise<ScanResult> {
  const now = context.now ?? (() => new Date());
  const policy = policyOf(context.config, now());
  const store = await evidenceStore(context.environment);
  return runScan({
    ...publishOptions(context, policy, store),
    sources: serviceSources(context.config, policy),
    concurrency: context.config.clusterConcurrency,
    signal: context.signal,
    onProgress: (cluster, message) => context.log({ level: 'info', cluster, message }),
  });
}

/** Fleet mode, first step: a run id and the clusters to fan out over. */
export function planRun(config: AuditServiceConfig, now: Date): { runId: string; clusters: string[] } {
  return { runId: newRunId(now), clusters: config.clusters.map((cluster) => cluster.name) };
}

/**
 * Fleet mode, one map item: audit one cluster and leave its result in the store for the
 * aggregate. It notifies nobody, so it never needs the webhook secret.
 */
export async function auditOneCluster(
  context: Omit<ServiceContext, 'notify'>,
  runId: string,
  cluster: string,
): Promise<{ cluster: string; status: ClusterStatus; findings: number; key: string }> {
  const entry = context.config.clusters.find((candidate) => candidate.name === cluster);
  if (!entry) throw new ConfigError('fleet event', `no cluster "${cluster}" in the configuration`);
  const now = context.now ?? (() => new Date());
  const policy = policyOf(context.config, now());
  const [source] = serviceSources(context.config, policy, [entry]);
  const report = await auditCluster(source as ClusterSource, policy, {
    signal: context.signal,
    onProgress: (name, message) => context.log({ level: 'info', cluster: name, message }),
  });
  const key = await stageClusterReport(await evidenceStore(context.environment), runId, report);
  return { cluster, status: report.status, findings: report.findings.length, key };
}

/**
 * Fleet mode, last step: the staged results become one run. A cluster whose map item never
 * wrote a result (it failed or timed out) is `failed`, so it cannot make findings look resolved.
 */
export async function aggregateRun(
  context: ServiceContext,
  runId: string,
  startedAt: Date,
): Promise<ScanResult> {
  const now = context.now ?? (() => new Date());
  const policy = policyOf(context.config, now());
  const store = await evidenceStore(context.environment);
  const clusters: ClusterReport[] = [];
  for (const entry of context.config.clusters) {
    clusters.push(
      (await readStagedClusterReport(store, runId, entry.name)) ?? missingCluster(entry.name, policy),
    );
  }
  return publishRun(
    clusters,
    { startedAt, auditedAt: now() },
    { ...publishOptions(context, policy, store), runId },
  );
}

function missingCluster(name: string, policy: AuditPolicy): ClusterReport {
  return new ClusterAudit(name, policy).finish(
    { type: 'kubernetes' },
    {
      status: ClusterStatus.failed,
      reason: 'its audit did not finish: the fleet map item failed or timed out before writing a result',
    },
  );
}
