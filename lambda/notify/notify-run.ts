import { setTimeout as sleep } from 'node:timers/promises';
import {
  DEFAULT_DELIVERY_POLICY,
  type DeliveryPolicy,
  type NotifySettings,
  type WebhookTarget,
} from '../config/notify-settings.ts';
import { Redactor } from '../redact.ts';
import type { DiffDocument } from '../report/model.ts';
import { urlSecrets } from '../secret.ts';
import { decideNotification } from './decide.ts';
import type { DeliveryIO, NotifyEvent } from './http-delivery.ts';
import { buildNotice } from './notice.ts';
import { type Delivery, type Notifier, targetLabel } from './notifier.ts';
import type { SnsPublisher } from './sns-email.ts';
import { failureOf, webhookNotifier } from './webhook.ts';

/** What the caller may swap for tests or its own runtime; everything has a default. */
export interface NotifyDeps {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  random?: () => number;
  /** Progress and retries, for the run's log. Never carries a webhook URL's path or a secret. */
  log?: (event: NotifyEvent) => void;
  /** The SNS client for e-mail; by default one for the topic's region with the usual credentials. */
  snsClient?: SnsPublisher;
  /** The run's secrets; the webhooks' URLs and keys are added to them. */
  secrets?: Redactor;
}

/** The notification stage's result, for the run summary, the logs, the exit code and the Lambda result. */
export interface NotificationOutcome {
  /** Whether a message was due (and so attempted) for this run. */
  sent: boolean;
  /** Why it was or was not sent: `3 new, 1 resolved; ...`, `no changes since ...`. */
  reason: string;
  deliveries: Delivery[];
  /** False when any delivery failed. True when nothing was due. */
  ok: boolean;
  /** Set when the message could not even be prepared (a bug); no delivery was attempted. */
  failure?: Delivery['failure'];
  /** What happens to a failed message's changes: the next run announces them, or it cannot. */
  followUp?: string;
}

/**
 * Tells people what changed in this run. Call it after the report is stored: it never throws, so
 * a failing webhook cannot lose the report; failures come back in the outcome, secrets redacted.
 */
export async function notifyRun(
  diff: DiffDocument,
  settings: NotifySettings,
  deps: NotifyDeps = {},
): Promise<NotificationOutcome> {
  if (settings.webhooks.length === 0 && settings.email === undefined) {
    return { sent: false, reason: 'no webhook or e-mail topic is configured', deliveries: [], ok: true };
  }
  const policy: DeliveryPolicy = { ...DEFAULT_DELIVERY_POLICY, ...settings.delivery };
  const secrets = (deps.secrets ?? new Redactor()).add(...notifySecrets(settings));
  const io: DeliveryIO = {
    fetch: deps.fetch ?? fetch,
    sleep: deps.sleep ?? ((ms) => sleep(ms)),
    now: deps.now ?? (() => new Date()),
    random: deps.random ?? Math.random,
    log: deps.log ?? (() => undefined),
    redact: (text) => secrets.redact(text),
  };
  try {
    const decision = decideNotification(diff, settings.when);
    if (!decision.send) return { sent: false, reason: decision.reason, deliveries: [], ok: true };
    const notifiers: Notifier[] = settings.webhooks.map((webhook) => webhookNotifier(webhook, policy, io));
    if (settings.email) {
      // The AWS SDK loads only when e-mail is configured: a CLI run with a webhook stays quick to start.
      const { snsEmailNotifier } = await import('./sns-email.ts');
      notifiers.push(snsEmailNotifier(settings.email, policy, io, deps.snsClient));
    }
    const notice = buildNotice(diff);
    const deliveries = await Promise.all(notifiers.map((notifier) => notifier.deliver(diff, notice)));
    return {
      sent: true,
      reason: decision.reason,
      deliveries,
      ok: deliveries.every((delivery) => delivery.status === 'delivered'),
    };
  } catch (error) {
    // Only a bug gets here (a malformed diff, a bad URL that config should have refused).
    const failure = failureOf(error, io.redact);
    return {
      sent: true,
      reason: 'the notification could not be prepared',
      deliveries: [],
      ok: false,
      failure,
    };
  }
}

/** Everything of the webhooks that must not reach a log, even if a URL does not parse. */
export function notifySecrets(settings: Pick<NotifySettings, 'webhooks'>): string[] {
  return settings.webhooks.flatMap((webhook: WebhookTarget) => {
    const url = webhook.url.reveal();
    const parsed = URL.canParse(url) ? urlSecrets(new URL(url)) : [];
    return [url, ...parsed, ...(webhook.format === 'generic' ? [webhook.signingSecret.reveal()] : [])];
  });
}

/** Lines for the run summary: one per delivery, or why nothing was sent. */
export function describeOutcome(outcome: NotificationOutcome): string[] {
  const followUp = outcome.followUp === undefined ? [] : [`Notification: ${outcome.followUp}`];
  if (!outcome.sent) return [`Notification: not sent (${outcome.reason}).`, ...followUp];
  if (outcome.failure)
    return [`Notification FAILED: ${outcome.failure.message} [${outcome.failure.code}].`, ...followUp];
  const lines = outcome.deliveries.map((delivery) => {
    const what = targetLabel(delivery.channel, delivery.target);
    const tries = `${delivery.attempts} ${delivery.attempts === 1 ? 'attempt' : 'attempts'}`;
    if (delivery.status === 'delivered') return `Notification: ${what} delivered (${tries}).`;
    const hint = delivery.failure?.hint ? ` ${delivery.failure.hint}` : '';
    return `Notification FAILED: ${what}: ${delivery.failure?.message ?? 'unknown error'} [${delivery.failure?.code}].${hint}`;
  });
  return [...lines, ...followUp];
}
