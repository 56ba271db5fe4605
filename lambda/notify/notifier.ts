import type { WebhookFormat } from '../config/notify-settings.ts';
import type { DiffDocument } from '../report/model.ts';
import type { NotifyFailureCode } from './errors.ts';
import type { Notice } from './notice.ts';

export type NotifyChannel = WebhookFormat | 'email';

/** What happened to one message. Plain data: it goes into the run summary, logs and a Lambda result. */
export interface Delivery {
  channel: NotifyChannel;
  /** Where it went, safe to show: a webhook's scheme and host, or the SNS topic ARN. */
  target: string;
  status: 'delivered' | 'failed';
  attempts: number;
  httpStatus?: number;
  durationMs: number;
  failure?: { code: NotifyFailureCode; message: string; hint?: string };
}

/** How people read a target: `slack webhook https://hooks.slack.com/…`, `e-mail to arn:aws:sns:…`. */
export function targetLabel(channel: NotifyChannel, target: string): string {
  return channel === 'email' ? `e-mail to ${target}` : `${channel} webhook ${target}`;
}

/** One place a run's message goes. `deliver` reports failures in the result and does not throw. */
export interface Notifier {
  readonly channel: NotifyChannel;
  readonly target: string;
  deliver(diff: DiffDocument, notice: Notice): Promise<Delivery>;
}
