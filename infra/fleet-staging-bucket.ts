import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface FleetStagingBucketProps {
  /** The evidence key: staged results are as sensitive as the reports made from them. */
  key: kms.IKey;
  accessLogs: s3.IBucket;
  /** Age at which results that no aggregate removed (a failed execution) expire. */
  expirationDays: number;
}

/**
 * Fleet mode's per-cluster results, on their way from the map to the aggregate step. Not in
 * the evidence bucket: under Object Lock a deleted or expired object only gets a delete marker,
 * and its bytes are kept (and billed) for the whole retention period. Here they are removed by
 * the aggregate once the run is stored, and expire after a few days when it never ran.
 */
export class FleetStagingBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: FleetStagingBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'fleet-staging/',
      lifecycleRules: [
        {
          id: 'expire-fleet-staging',
          expiration: Duration.days(props.expirationDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      // Like the other buckets it stays when the stack is deleted; its lifecycle empties it.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
