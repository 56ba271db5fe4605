import { ClusterAudit } from '../audit/cluster-audit.ts';
import { type AuditPolicy, defaultPolicy } from '../audit/policy.ts';
import { auditCluster } from '../audit/run-fleet.ts';
import type { ClusterSource } from '../collect/cluster-source.ts';
import { eksClusterSource, type LiveReadOptions, storedKubeconfigSource } from '../collect/sources.ts';
import { applyPolicyConfig } from '../config/audit-config.ts';
import { ConfigError } from '../config/errors.ts';
import type { AuditServiceConfig, ClusterEntry } from '../config/lambda-config.ts';
import type { NotifySettings } from '../config/notify-settings.ts';
import { ServiceEnv, type ServiceEnvironment } from '../config/service-environment.ts';
import { readStoredText } from '../config/stored-text.ts';
import { REPORT_FORMATS } from '../defaults.ts';
import { describeError } from '../errors.ts';
import { isRecord } from '../kube/objects.ts';
import { type PublishOptions, publishRun, runScan, type ScanResult } from '../pipeline.ts';
import type { Redactor } from '../redact.ts';
import { type ClusterReport, ClusterStatus } from '../report/model.ts';
import { agentConfigMapNames } from '../rules/agents/agent-catalog.ts';
import { newRunId } from '../run-id.ts';
import { openStore } from '../store/open-store.ts';
import { chainedRun } from '../store/publish-run.ts';
import type { ReportStore } from '../store/report-store.ts';
import {
  readStagedClusterReport,
  removeStagedRun,
  stageClusterReport,
  stagedClusterKey,
} from '../store/staging.ts';

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
  /** The invocation's secrets: what the sources and notifiers load is added, and logs pass through it. */
  secrets: Redactor;
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
    maxResponseBytes: config.maxResponseMegabytes * 1024 * 1024,
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

/** The evidence bucket; with `links`, report links are signed with the link signing keys when there are. */
async function evidenceStore(
  context: Pick<ServiceContext, 'environment' | 'secrets' | 'log'>,
  links = false,
): Promise<ReportStore> {
  const { environment } = context;
  const signingCredentials = links ? await linkSigningCredentials(context) : undefined;
  return openStore(
    { type: 's3', bucket: environment.bucket, prefix: environment.prefix },
    {
      ...(environment.kmsKeyId !== undefined && { kmsKeyId: environment.kmsKeyId }),
      ...(signingCredentials && { signingCredentials }),
    },
  );
}

/** Fleet mode's per-cluster results: a bucket without Object Lock, so that they can be removed. */
async function stagingStore(environment: ServiceEnvironment): Promise<ReportStore> {
  if (environment.stagingBucket === undefined)
    throw new ConfigError(
      'Lambda environment',
      `${ServiceEnv.stagingBucket} is not set`,
      'Fleet mode stages per-cluster results in a bucket of their own, outside the Object Lock evidence bucket; the stack creates it with fleetMode stepfunctions.',
    );
  return openStore(
    { type: 's3', bucket: environment.stagingBucket, prefix: environment.prefix },
    environment.kmsKeyId === undefined ? {} : { kmsKeyId: environment.kmsKeyId },
  );
}

/**
 * An IAM user's long-term keys for signing report links, from Secrets Manager: links signed with
 * the function's role end with its session, within hours. A secret that cannot be used costs the
 * long link, not the run: the function's own credentials sign, and the message says the link
 * may end sooner.
 */
async function linkSigningCredentials(
  context: Pick<ServiceContext, 'environment' | 'secrets' | 'log'>,
): Promise<{ accessKeyId: string; secretAccessKey: string } | undefined> {
  const arn = context.environment.linkSigningSecretArn;
  if (arn === undefined) return undefined;
  let problem: string;
  try {
    const text = await readStoredText({ secretArn: arn });
    context.secrets.add(text);
    const document: unknown = text === undefined ? undefined : JSON.parse(text);
    if (
      isRecord(document) &&
      typeof document.accessKeyId === 'string' &&
      typeof document.secretAccessKey === 'string'
    ) {
      context.secrets.add(document.secretAccessKey);
      return { accessKeyId: document.accessKeyId, secretAccessKey: document.secretAccessKey };
    }
    problem = 'it does not hold {"accessKeyId": "...", "secretAccessKey": "..."}';
  } catch (error) {
    // A JSON error quotes the text it could not read: only say that it is not JSON.
    problem = error instanceof SyntaxError ? 'it is not JSON' : `it cannot be read: ${describeError(error)}`;
  }
  context.log({
    level: 'warn',
    message: `report links are signed with the function's own credentials, not the keys in ${arn}: ${problem}`,
  });
  return undefined;
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
    secrets: context.secrets,
    ...(context.now && { now: context.now }),
  };
}

/** The scheduled run: every cluster, a few at a time, then store and announce. */
export async function runAll(context: ServiceContext): Promise<ScanResult> {
  const now = context.now ?? (() => new Date());
  const policy = policyOf(context.config, now());
  const store = await evidenceStore(context, true);
  return runScan({
    ...publishOptions(context, policy, store),
    sources: serviceSources(context.config, policy),
    concurrency: context.config.clusterConcurrency,
    signal: context.signal,
    onProgress: (cluster, message) => context.log({ level: 'info', cluster, message }),
  });
}

/** The Step Functions execution a fleet step belongs to. */
export interface FleetExecution {
  name: string;
  startTime: Date;
}

/**
 * Fleet mode, first step: a run id and the clusters to fan out over. It writes nothing; for an
 * execution the run id comes from the execution's name and start, so planning it again (a
 * retried or duplicated invocation) plans the same run.
 */
export function planRun(
  config: AuditServiceConfig,
  now: Date,
  execution?: FleetExecution,
): { runId: string; clusters: string[] } {
  return {
    runId: execution ? newRunId(execution.startTime, execution.name) : newRunId(now),
    clusters: config.clusters.map((cluster) => cluster.name),
  };
}

/**
 * Fleet mode, one map item: audit one cluster and leave its result in the staging store for
 * the aggregate. It notifies nobody, so it never needs the webhook secret. Run again for the
 * same run (a retry, a duplicate), it returns the result staged first, or the stored run's
 * once the aggregate has stored it, and audits nothing.
 */
export async function auditOneCluster(
  context: Omit<ServiceContext, 'notify'>,
  runId: string,
  cluster: string,
): Promise<{ cluster: string; status: ClusterStatus; findings: number; key: string; reused?: true }> {
  const entry = context.config.clusters.find((candidate) => candidate.name === cluster);
  if (!entry) throw new ConfigError('fleet event', `no cluster "${cluster}" in the configuration`);
  const staging = await stagingStore(context.environment);
  const key = stagedClusterKey(runId, cluster);
  const summary = (report: ClusterReport) => ({
    cluster,
    status: report.status,
    findings: report.findings.length,
    key,
  });
  const staged = await readStagedClusterReport(staging, runId, cluster);
  if (staged) return { ...summary(staged), reused: true };
  const published = (await chainedRun(await evidenceStore(context), runId))?.report;
  const inRun = published?.clusters.find((candidate) => candidate.name === cluster);
  if (inRun) return { ...summary(inRun), reused: true };

  const now = context.now ?? (() => new Date());
  const policy = policyOf(context.config, now());
  const [source] = serviceSources(context.config, policy, [entry]);
  const report = await auditCluster(source as ClusterSource, policy, {
    signal: context.signal,
    onProgress: (name, message) => context.log({ level: 'info', cluster: name, message }),
    secrets: context.secrets,
  });
  const first = await stageClusterReport(staging, runId, report);
  return first.report === report ? summary(report) : { ...summary(first.report), reused: true };
}

/**
 * Fleet mode, last step: the staged results become one run, and are removed once it is stored.
 * A cluster whose map item never wrote a result (it failed or timed out) is `failed`, so it
 * cannot make findings look resolved. Run again for a run that is stored already (a retry, a
 * duplicate, at once or later), it returns that run and writes or announces nothing.
 */
export async function aggregateRun(
  context: ServiceContext,
  runId: string,
  startedAt: Date,
): Promise<ScanResult> {
  const now = context.now ?? (() => new Date());
  const policy = policyOf(context.config, now());
  const store = await evidenceStore(context, true);
  const staging = await stagingStore(context.environment);
  const stored = async (): Promise<ScanResult | undefined> => {
    const earlier = await chainedRun(store, runId);
    if (earlier === undefined) return undefined;
    await removeStagedRun(staging, runId);
    const { report, diff, artifacts, stored: run } = earlier;
    return {
      report,
      diff,
      artifacts,
      written: [],
      stored: run,
      alreadyStored: true,
    };
  };
  const before = await stored();
  if (before) return before;
  const clusters: ClusterReport[] = [];
  for (const entry of context.config.clusters) {
    const staged = await readStagedClusterReport(staging, runId, entry.name);
    // A result gone since the check above was removed by a duplicate that stored the run meanwhile.
    if (!staged) {
      const meanwhile = await stored();
      if (meanwhile) return meanwhile;
    }
    clusters.push(staged ?? missingCluster(entry.name, policy));
  }
  const result = await publishRun(
    clusters,
    { startedAt, auditedAt: now() },
    { ...publishOptions(context, policy, store), runId },
  );
  if (result.stored) await removeStagedRun(staging, runId);
  return result;
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
