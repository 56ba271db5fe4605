/**
 * Every code an `AuditError` can carry, with what it means, in one place: log queries, metric
 * filters and alarms key on these strings, so a code is never made up where the error is thrown.
 * A Kubernetes API answer with an HTTP error status is `KUBE_HTTP_<status>` (`KUBE_HTTP_403`).
 */
export const ERROR_CODES = {
  USAGE: 'the command line is wrong (exit code 2)',
  INTERNAL: 'a bug: something failed that should not have',
  CONFIG_INVALID: 'a policy file, service configuration or setting cannot be used as written',
  CLUSTER_CONNECTION:
    'a cluster cannot be described: a bad kubeconfig entry, unsupported auth, a missing EKS cluster',
  KUBECONFIG_INVALID: 'a kubeconfig field does not have the type kubectl expects',
  KUBE_UNREACHABLE: 'the API server did not answer: refused, reset, timed out or TLS failed',
  KUBE_RESPONSE_TOO_LARGE: 'an API answer was larger than the response limit; it was not read',
  OUTPUT_FAILED: 'a report could not be written to the output folder',
  STORE_FAILED: 'the report store could not be read or written',
  STORE_CONFLICT: 'a conditional write found the object changed or already there; nothing was written',
  STORE_LOCKED: 'another run held the publishing lease for longer than this run waited',
  STORE_EMPTY: 'verify found no stored runs where it was pointed',
  HEAD_BROKEN: 'latest.json cannot be trusted; nothing is stored until it is repaired',
  CHAIN_CONFLICT: 'another publisher moved the head while this run published; the run is outside the chain',
  POINTER_FAILED: 'the run was stored whole but latest.json could not be moved to it',
  RUN_EXISTS: 'the store already holds this run id with a different report',
  RUN_OUTSIDE_CHAIN: 'the store holds this run id, but not in the chain',
  REPAIR_REFUSED: 'repair cannot re-derive the head from the stored runs',
  NOTIFY_REJECTED: 'the receiver answered 4xx (not 429): the payload or URL is wrong',
  NOTIFY_RETRIES_EXHAUSTED: 'the receiver failed (5xx, 429, timeouts, network) on every attempt',
  NOTIFY_RATE_LIMITED: 'the receiver asked to wait longer than the delivery settings allow',
  NOTIFY_REDIRECTED: 'the receiver redirected; webhooks are not followed elsewhere',
  NOTIFY_DEADLINE: "the run's time budget for notifications ran out",
  NOTIFY_SNS_FAILED: 'Amazon SNS refused or failed the Publish call',
  NOTIFY_INTERNAL: 'a bug in the notification stage',
} as const;
export type ErrorCode = keyof typeof ERROR_CODES | `KUBE_HTTP_${number}`;

/**
 * Base of every error the tool explains to its user: a stable code for programs, a hint for
 * people. Entries print `message` and `hint`, never a stack trace, for these errors.
 */
export class AuditError extends Error {
  override name = 'AuditError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
  }
}

/** The command line is wrong (exit code 2). */
export class UsageError extends AuditError {
  override name = 'UsageError';
  constructor(message: string, hint?: string) {
    super('USAGE', message, hint === undefined ? {} : { hint });
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What a parsed value is, for a message that says what was expected: `null`, `a list`, `a number`... */
export function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a date';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}
