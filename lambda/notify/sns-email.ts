import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { type DeliveryPolicy, type EmailTarget, topicRegion } from '../config/notify-settings.ts';
import { emailMessage } from './email.ts';
import { NotifyFailure } from './errors.ts';
import type { DeliveryIO } from './http-delivery.ts';
import type { Notifier } from './notifier.ts';
import { idempotencyKey } from './webhook.ts';

/** What the e-mail notifier needs of an SNS client: the real one, pointed anywhere (tests: loopback). */
export type SnsPublisher = Pick<SNSClient, 'send'>;

export function defaultSnsClient(target: EmailTarget, policy: DeliveryPolicy): SNSClient {
  const region = topicRegion(target.topicArn);
  return new SNSClient({
    ...(region !== undefined && { region }),
    // The SDK retries throttling and 5xx itself, with its own backoff; it gets the same budget.
    maxAttempts: policy.maxAttempts,
    requestHandler: { requestTimeout: policy.timeoutMs, connectionTimeout: policy.timeoutMs },
  });
}

/** The Publish call for a notice: subject and plain text; on a FIFO topic, the run id deduplicates. */
export function publishInput(
  target: EmailTarget,
  message: { subject: string; text: string },
  runId: string,
): PublishCommandInput {
  const input: PublishCommandInput = {
    TopicArn: target.topicArn,
    Subject: message.subject,
    Message: message.text,
  };
  if (target.topicArn.endsWith('.fifo')) {
    input.MessageGroupId = 'dockershim-audit';
    input.MessageDeduplicationId = idempotencyKey(runId)
      .replace(/[^\w!-/:-@[-`{-~]/g, '_')
      .slice(0, 128);
  }
  return input;
}

/** E-mail through an SNS topic. Credentials come from the usual chain (the Lambda role, a profile). */
export function snsEmailNotifier(
  target: EmailTarget,
  policy: DeliveryPolicy,
  io: DeliveryIO,
  client: SnsPublisher = defaultSnsClient(target, policy),
): Notifier {
  return {
    channel: 'email',
    target: target.topicArn,
    async deliver(diff, notice) {
      const started = io.now().getTime();
      const durationMs = () => io.now().getTime() - started;
      try {
        const output = await client.send(
          new PublishCommand(publishInput(target, emailMessage(notice), diff.runId)),
          {
            abortSignal: AbortSignal.timeout(policy.deadlineMs),
          },
        );
        io.log({
          level: 'info',
          target: target.topicArn,
          message: `e-mail published (message ${output.MessageId ?? '?'})`,
        });
        return {
          channel: 'email',
          target: target.topicArn,
          status: 'delivered',
          attempts: output.$metadata.attempts ?? 1,
          ...(output.$metadata.httpStatusCode !== undefined && {
            httpStatus: output.$metadata.httpStatusCode,
          }),
          durationMs: durationMs(),
        };
      } catch (error) {
        const metadata = sdkMetadata(error);
        // The SDK's words may quote what it sent (a session token); the topic ARN is not secret.
        const failure = {
          code: NotifyFailure.snsFailed,
          message: io.redact(`SNS Publish failed: ${describeSdkError(error)}`),
          hint: 'Check that the topic exists in its region and that the identity may sns:Publish to it.',
        };
        io.log({
          level: 'warn',
          target: target.topicArn,
          message: `e-mail not published: ${failure.message}`,
        });
        return {
          channel: 'email',
          target: target.topicArn,
          status: 'failed',
          attempts: metadata.attempts ?? 1,
          ...(metadata.httpStatusCode !== undefined && { httpStatus: metadata.httpStatusCode }),
          durationMs: durationMs(),
          failure,
        };
      }
    },
  };
}

function sdkMetadata(error: unknown): { attempts?: number; httpStatusCode?: number } {
  if (error !== null && typeof error === 'object' && '$metadata' in error) {
    const metadata = error.$metadata;
    if (metadata !== null && typeof metadata === 'object')
      return metadata as { attempts?: number; httpStatusCode?: number };
  }
  return {};
}

function describeSdkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
}
