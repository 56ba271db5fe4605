import type { ClusterSource, CollectionOutcome } from '../collect/cluster-source.ts';
import { forEachLimit } from '../concurrency.ts';
import { DEFAULT_CLUSTER_CONCURRENCY } from '../defaults.ts';
import { describeError } from '../errors.ts';
import { Redactor } from '../redact.ts';
import type { ClusterReport } from '../report/model.ts';
import { ClusterAudit } from './cluster-audit.ts';
import type { AuditPolicy } from './policy.ts';

export interface FleetOptions {
  /** How many clusters are read at once. */
  concurrency?: number;
  /**
   * The run's deadline (a Lambda about to time out). Clusters not read completely by then are
   * `failed` with reason "deadline", whatever they had read: the run stores what it has.
   */
  signal?: AbortSignal;
  onProgress?: (cluster: string, message: string) => void;
  /** The run's secrets; sources add the credentials they load. Without it, only shapes are redacted. */
  secrets?: Redactor;
}

/**
 * Audits one cluster. A source that fails, even by throwing, yields a `failed` cluster, never a
 * crash. What it returns is redacted: it is the one way from a source to a report (fleet mode
 * stages it as it is), and a server's error may quote the credential the source sent.
 */
export async function auditCluster(
  source: ClusterSource,
  policy: AuditPolicy,
  options: FleetOptions = {},
): Promise<ClusterReport> {
  const secrets = options.secrets ?? new Redactor();
  const audit = new ClusterAudit(source.name, policy);
  let outcome: CollectionOutcome;
  if (options.signal?.aborted) {
    outcome = { status: 'failed', reason: DEADLINE_REASON };
  } else {
    try {
      outcome = await source.collect(audit, {
        ...(options.signal && { signal: options.signal }),
        onProgress: (message) => options.onProgress?.(source.name, message),
        secrets,
      });
    } catch (error) {
      outcome = { status: 'failed', reason: describeError(error) };
    }
    if (options.signal?.aborted && outcome.status !== 'complete')
      outcome = { status: 'failed', reason: DEADLINE_REASON };
  }
  return secrets.redactDeep(audit.finish(source.describe(), outcome));
}

export const DEADLINE_REASON = 'deadline: the run ran out of time before this cluster was read completely';

/**
 * Audits every cluster, at most `concurrency` at a time. One failing cluster never hides the
 * others: each gets its own status. The result keeps the order of `sources`.
 */
export async function auditFleet(
  sources: readonly ClusterSource[],
  policy: AuditPolicy,
  options: FleetOptions = {},
): Promise<ClusterReport[]> {
  const results: ClusterReport[] = new Array(sources.length);
  await forEachLimit(sources, options.concurrency ?? DEFAULT_CLUSTER_CONCURRENCY, async (source, index) => {
    options.onProgress?.(source.name, 'reading');
    const result = await auditCluster(source, policy, options);
    results[index] = result;
    options.onProgress?.(source.name, `${result.status}: ${result.findings.length} findings`);
  });
  return results;
}
