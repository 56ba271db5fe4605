import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * A queue that holds what failed, encrypted and TLS only, kept as long as SQS allows. It has
 * no dead-letter queue of its own (cdk-nag's SQS3): one behind it would only move the same
 * messages again. `holds` says whose failures it keeps, for that acknowledgement.
 */
export function deadLetterQueue(scope: Construct, id: string, holds: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is ${holds}; a dead-letter queue behind it would only move the same messages again.`,
  });
  return queue;
}
