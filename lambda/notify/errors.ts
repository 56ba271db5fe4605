import { AuditError } from '../errors.ts';

/** Why a delivery failed, as stable codes for programs and tests. */
export const NotifyFailure = {
  /** The receiver answered 4xx (not 429): the payload or the URL is wrong; retrying cannot help. */
  rejected: 'NOTIFY_REJECTED',
  /** 5xx, 429, timeouts or network errors on every attempt. */
  retriesExhausted: 'NOTIFY_RETRIES_EXHAUSTED',
  /** The receiver asked to wait longer (Retry-After) than the delivery settings allow. */
  rateLimited: 'NOTIFY_RATE_LIMITED',
  /** The receiver redirected; webhooks are not followed elsewhere, since the body may be signed or private. */
  redirected: 'NOTIFY_REDIRECTED',
  /** The run's time budget for notifications ran out before a retry. */
  deadline: 'NOTIFY_DEADLINE',
  /** Amazon SNS refused or failed the Publish call. */
  snsFailed: 'NOTIFY_SNS_FAILED',
  /** A bug: something threw that should not have. */
  internal: 'NOTIFY_INTERNAL',
} as const;
export type NotifyFailureCode = (typeof NotifyFailure)[keyof typeof NotifyFailure];

/** A notification could not be delivered. The report is already stored; this only says the message did not arrive. */
export class NotifyError extends AuditError {
  override name = 'NotifyError';
  override readonly code: NotifyFailureCode;
  /** Where the message was going, safe to show (never the webhook's path or a secret). */
  readonly target: string;
  readonly httpStatus: number | undefined;
  /** Attempts made before giving up. */
  readonly attempts: number;
  /** The message without the target, for places that name the target already. */
  readonly detail: string;

  constructor(
    code: NotifyFailureCode,
    target: string,
    message: string,
    options: { hint?: string; cause?: unknown; httpStatus?: number; attempts?: number } = {},
  ) {
    super(code, `${target}: ${message}`, options);
    this.code = code;
    this.target = target;
    this.httpStatus = options.httpStatus;
    this.attempts = options.attempts ?? 1;
    this.detail = message;
  }
}
