import type { DeliveryPolicy, WebhookTarget } from '../config/notify-settings.ts';
import { describeError } from '../errors.ts';
import type { DiffDocument } from '../report/model.ts';
import { TOOL_NAME } from '../report/model.ts';
import { describeUrl } from '../secret.ts';
import { TOOL_VERSION } from '../version.ts';
import { NotifyError, NotifyFailure } from './errors.ts';
import { EVENT_HEADER, genericBody, signatureHeaders } from './generic.ts';
import { type DeliveryIO, postWithRetry } from './http-delivery.ts';
import type { Notice } from './notice.ts';
import type { Delivery, Notifier } from './notifier.ts';
import { slackMessage } from './slack.ts';
import { teamsMessage } from './teams.ts';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** The body a webhook of this format receives. Pure. */
export function webhookBody(
  target: Pick<WebhookTarget, 'format'>,
  diff: DiffDocument,
  notice: Notice,
): string {
  switch (target.format) {
    case 'slack':
      return JSON.stringify(slackMessage(notice));
    case 'teams':
      return JSON.stringify(teamsMessage(notice));
    case 'generic':
      return genericBody(diff);
  }
}

/** The same key on every attempt and every target of a run, so a receiver can drop repeats. */
export function idempotencyKey(runId: string): string {
  return `${TOOL_NAME}:${runId.replace(/[^\x21-\x7e]/g, '_').slice(0, 200)}`;
}

export function webhookNotifier(target: WebhookTarget, policy: DeliveryPolicy, io: DeliveryIO): Notifier {
  const url = new URL(target.url.reveal());
  const signingSecret = target.format === 'generic' ? target.signingSecret.reveal() : undefined;
  const where = describeUrl(url);
  return {
    channel: target.format,
    target: where,
    async deliver(diff, notice) {
      const started = io.now().getTime();
      const done = (fields: Pick<Delivery, 'status' | 'attempts'> & Partial<Delivery>): Delivery => ({
        channel: target.format,
        target: where,
        durationMs: io.now().getTime() - started,
        ...fields,
      });
      try {
        const body = webhookBody(target, diff, notice);
        const headers = {
          'Content-Type': 'application/json; charset=utf-8',
          'User-Agent': `${TOOL_NAME}/${TOOL_VERSION}`,
          [IDEMPOTENCY_HEADER]: idempotencyKey(diff.runId),
        };
        const result = await postWithRetry(
          url,
          where,
          (at) =>
            signingSecret !== undefined
              ? {
                  body,
                  headers: {
                    ...headers,
                    [EVENT_HEADER]: diff.event,
                    ...signatureHeaders(signingSecret, body, at),
                  },
                }
              : { body, headers },
          policy,
          io,
        );
        io.log({
          level: 'info',
          target: where,
          message: `${target.format} message delivered (HTTP ${result.httpStatus})`,
        });
        return done({ status: 'delivered', attempts: result.attempts, httpStatus: result.httpStatus });
      } catch (error) {
        const failure = failureOf(error, io.redact);
        io.log({
          level: 'warn',
          target: where,
          message: `${target.format} message not delivered: ${failure.message}`,
        });
        const attempts = error instanceof NotifyError ? error.attempts : 0;
        return done({
          status: 'failed',
          attempts,
          ...(error instanceof NotifyError &&
            error.httpStatus !== undefined && { httpStatus: error.httpStatus }),
          failure,
        });
      }
    },
  };
}

/** A failure as data, secrets redacted whatever threw it. */
export function failureOf(
  error: unknown,
  redact: (text: string) => string,
): NonNullable<Delivery['failure']> {
  if (error instanceof NotifyError) {
    return {
      code: error.code,
      message: redact(error.detail),
      ...(error.hint !== undefined && { hint: redact(error.hint) }),
    };
  }
  const message = describeError(error);
  return {
    code: NotifyFailure.internal,
    message: redact(message),
    hint: 'This is a bug in dockershim-audit; please report it. The report itself is stored.',
  };
}
