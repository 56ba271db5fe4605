import { ConfigError } from './config/errors.ts';
import {
  loadNotifySettings,
  loadServiceConfig,
  readServiceEnvironment,
} from './config/service-environment.ts';
import { AuditError, describeError } from './errors.ts';
import { isRecord } from './kube/objects.ts';
import { notifySecrets } from './notify/notify-run.ts';
import { environmentSecrets, Redactor } from './redact.ts';
import { isRunId } from './run-id.ts';
import {
  aggregateRun,
  auditOneCluster,
  type FleetExecution,
  planRun,
  runAll,
  type ServiceContext,
} from './service/audit-service.ts';
import { metricsRecord } from './service/metrics.ts';
import { type RunSummary, summariseRun } from './service/run-summary.ts';

/** What the Lambda runtime passes; only the clock and the identity are used. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
  invokedFunctionArn?: string;
  awsRequestId?: string;
}

/**
 * The events the function accepts: the schedule's (`{}` or `{ "mode": "run" }`), and fleet
 * mode's three steps, sent by the state machine.
 */
export type AuditEvent =
  | { mode: 'run' }
  | { mode: 'plan'; execution?: FleetExecution }
  | { mode: 'cluster'; runId: string; cluster: string }
  | { mode: 'aggregate'; runId: string };

/**
 * Time kept back from the Lambda's deadline to store the run and notify: a quarter of what is
 * left, at most two minutes. Clusters still being read then are marked failed ("deadline").
 */
export function auditDeadlineMs(remainingMs: number): number {
  const reserve = Math.min(120_000, remainingMs / 4);
  return Math.max(1_000, Math.floor(remainingMs - reserve));
}

/** The Lambda entry: reads its configuration, runs the requested step, logs and returns a summary. */
export async function handler(
  event: unknown,
  context: LambdaContext,
): Promise<RunSummary | Record<string, unknown>> {
  const started = Date.now();
  // The invocation's secrets: every log line, the result and a thrown error pass through them.
  const secrets = new Redactor().add(...environmentSecrets(process.env));
  const log = (entry: Record<string, unknown>) =>
    process.stdout.write(
      `${JSON.stringify({ timestamp: new Date().toISOString(), ...secrets.redactDeep(entry) })}\n`,
    );
  try {
    const request = parseEvent(event);
    const environment = readServiceEnvironment(process.env);
    const config = await loadServiceConfig(environment);
    if (request.mode === 'plan') {
      const plan = planRun(config, new Date(), request.execution);
      log({ level: 'info', message: 'fleet run planned', ...plan });
      return plan;
    }
    const base: Omit<ServiceContext, 'notify'> = {
      config,
      environment,
      identity: context.invokedFunctionArn ? `AWS Lambda ${context.invokedFunctionArn}` : 'AWS Lambda',
      signal: AbortSignal.timeout(auditDeadlineMs(context.getRemainingTimeInMillis())),
      log,
      secrets,
    };
    if (request.mode === 'cluster') {
      const result = await auditOneCluster(base, request.runId, request.cluster);
      log({
        level: result.status === 'complete' ? 'info' : 'warn',
        message: 'cluster audited',
        runId: request.runId,
        ...result,
      });
      return secrets.redactDeep(result);
    }
    // Only the steps that notify read the webhook secret.
    const notify = await loadNotifySettings(config, environment);
    secrets.add(...notifySecrets(notify));
    const service: ServiceContext = { ...base, notify };
    const result =
      request.mode === 'aggregate'
        ? await aggregateRun(service, request.runId, runStart(request.runId))
        : await runAll(service);
    const summary = summariseRun(result, Date.now() - started);
    log(metricsRecord(summary, new Date()));
    if (result.storeError) throw result.storeError;
    return secrets.redactDeep(summary);
  } catch (error) {
    log({
      level: 'error',
      message: describeError(error),
      ...(error instanceof AuditError && { code: error.code, ...(error.hint && { hint: error.hint }) }),
      ...(context.awsRequestId && { requestId: context.awsRequestId }),
    });
    // Thrown, so that Lambda counts a failed run: the alarm, the retry and the failure destination
    // see it. The runtime logs what is thrown, stack and cause included: only a redacted copy goes.
    throw redactedError(error, secrets);
  }
}

/** The same error (callers tell errors by class), its words redacted and its cause, an SDK's error, left out. */
function redactedError(error: unknown, secrets: Redactor): Error {
  if (!(error instanceof Error)) return new AuditError('INTERNAL', secrets.redact(describeError(error)));
  const fields: Record<string, string> = {
    message: secrets.redact(error.message),
    stack: secrets.redact(error.stack ?? error.message),
  };
  if (error instanceof AuditError && error.hint !== undefined) fields.hint = secrets.redact(error.hint);
  for (const [name, value] of Object.entries(fields))
    Object.defineProperty(error, name, { value, writable: true, configurable: true });
  Reflect.deleteProperty(error, 'cause');
  return error;
}

function parseEvent(event: unknown): AuditEvent {
  if (event === undefined || event === null || (isRecord(event) && event.mode === undefined))
    return { mode: 'run' };
  if (!isRecord(event)) throw new ConfigError('event', 'must be an object');
  const { mode } = event;
  if (mode === 'run') return { mode };
  if (mode === 'plan')
    return event.execution === undefined ? { mode } : { mode, execution: execution(event.execution) };
  if (mode === 'cluster' || mode === 'aggregate') {
    if (!isRunId(event.runId))
      throw new ConfigError('event', `mode ${mode} needs the runId of a planned run`);
    if (mode === 'aggregate') return { mode, runId: event.runId };
    if (typeof event.cluster !== 'string' || event.cluster === '')
      throw new ConfigError('event', 'mode cluster needs a cluster name');
    return { mode, runId: event.runId, cluster: event.cluster };
  }
  throw new ConfigError(
    'event',
    `unknown mode ${JSON.stringify(mode)}`,
    'Modes: run (the default), plan, cluster, aggregate.',
  );
}

/** The state machine names its execution, so that planning it twice plans the same run. */
function execution(value: unknown): FleetExecution {
  const startTime =
    isRecord(value) && typeof value.startTime === 'string' ? new Date(value.startTime) : undefined;
  if (
    !isRecord(value) ||
    typeof value.name !== 'string' ||
    value.name === '' ||
    !startTime ||
    Number.isNaN(startTime.getTime())
  )
    throw new ConfigError('event', 'mode plan: execution must be {"name": "...", "startTime": "<ISO time>"}');
  return { name: value.name, startTime };
}

/** A run id starts with the time it was planned: `20261122T030000Z-3f9a1c`. */
function runStart(runId: string): Date {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(runId);
  return match
    ? new Date(`${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}Z`)
    : new Date();
}
