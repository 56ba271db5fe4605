import type { Secret } from '../secret.ts';

/** When a run posts: only when something changed (the default), every run, or never. */
export const NotifyWhen = { changes: 'changes', always: 'always', never: 'never' } as const;
export type NotifyWhen = (typeof NotifyWhen)[keyof typeof NotifyWhen];
export const NOTIFY_WHEN: readonly NotifyWhen[] = ['changes', 'always', 'never'];

/** What a webhook receives: Slack Block Kit, a Teams Adaptive Card, or the signed diff document. */
export const WebhookFormat = { slack: 'slack', teams: 'teams', generic: 'generic' } as const;
export type WebhookFormat = (typeof WebhookFormat)[keyof typeof WebhookFormat];
export const WEBHOOK_FORMATS: readonly WebhookFormat[] = ['slack', 'teams', 'generic'];

/**
 * Where a webhook posts. The URL is a `Secret`: for Slack and Teams the URL itself is the
 * credential. A generic webhook cannot be configured without its HMAC key: receivers verify
 * every delivery, so an unsigned one would only be refused there.
 */
export type WebhookTarget =
  | { url: Secret; format: typeof WebhookFormat.slack | typeof WebhookFormat.teams }
  | { url: Secret; format: typeof WebhookFormat.generic; signingSecret: Secret };

export interface EmailTarget {
  /** The SNS topic that e-mail subscribers listen on; its region is taken from the ARN. */
  topicArn: string;
}

/** How hard to try. Every field has a default; tests pass small numbers. */
export interface DeliveryPolicy {
  /** Per attempt, including reading the response. @default 10000 */
  timeoutMs: number;
  /** Attempts in all, the first included. @default 4 */
  maxAttempts: number;
  /** First backoff; doubles each retry, with full jitter. @default 1000 */
  backoffBaseMs: number;
  /** @default 20000 */
  backoffMaxMs: number;
  /** A Retry-After longer than this fails the delivery instead of stalling the run. @default 60000 */
  maxRetryAfterMs: number;
  /** Budget for one target, all attempts and waits included (a Lambda has a deadline). @default 120000 */
  deadlineMs: number;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  timeoutMs: 10_000,
  maxAttempts: 4,
  backoffBaseMs: 1_000,
  backoffMaxMs: 20_000,
  maxRetryAfterMs: 60_000,
  deadlineMs: 120_000,
};

/**
 * Everything the notification stage needs, with secrets already resolved (from the environment in
 * the CLI, from Secrets Manager in Lambda). Safe to log: URLs and keys are `Secret`s.
 */
export interface NotifySettings {
  when: NotifyWhen;
  webhooks: readonly WebhookTarget[];
  email?: EmailTarget;
  delivery?: Partial<DeliveryPolicy>;
}

/** `arn:aws:sns:eu-west-1:123456789012:audit` → `eu-west-1`. */
export function topicRegion(topicArn: string): string | undefined {
  const parts = topicArn.split(':');
  return parts.length >= 6 && parts[0] === 'arn' && parts[2] === 'sns' && parts[3] ? parts[3] : undefined;
}
