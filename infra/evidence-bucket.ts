import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { DeploymentSettings, TransitionStorageClass } from './settings.ts';

const STORAGE_CLASSES: Record<TransitionStorageClass, s3.StorageClass> = {
  STANDARD_IA: s3.StorageClass.INFREQUENT_ACCESS,
  INTELLIGENT_TIERING: s3.StorageClass.INTELLIGENT_TIERING,
  GLACIER_IR: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
};

export interface EvidenceBucketProps {
  evidence: DeploymentSettings['evidence'];
  /** How long S3 server access logs are kept. */
  accessLogDays: number;
}

/**
 * Where every run is kept as compliance evidence: versioned, Object Lock with a default
 * retention, SSE-KMS under a key of its own, TLS only, no public access, access logged to a
 * separate bucket. Retained when the stack is deleted: evidence outlives the deployment.
 */
export class EvidenceBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: EvidenceBucketProps) {
    super(scope, id);
    const { evidence } = props;

    this.key = new kms.Key(this, 'Key', {
      description: 'dockershim-audit: encrypts the evidence bucket',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // S3 can deliver server access logs only to a bucket with SSE-S3, not SSE-KMS.
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(props.accessLogDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "This bucket receives the evidence bucket's server access logs; logging it too would need a third bucket, and so on.",
    });

    const retention = Duration.days(evidence.objectLockDays);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention:
        evidence.objectLockMode === 'COMPLIANCE'
          ? s3.ObjectLockRetention.compliance(retention)
          : s3.ObjectLockRetention.governance(retention),
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      // One data key per bucket, not per object: fewer KMS requests, same protection.
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'evidence/',
      lifecycleRules: [
        {
          id: 'runs-to-cheaper-storage',
          prefix: `${evidence.prefix}runs/`,
          transitions: [
            {
              storageClass: STORAGE_CLASSES[evidence.transitionStorageClass],
              transitionAfter: Duration.days(evidence.transitionDays),
            },
          ],
        },
        {
          // latest.json pointers are rewritten on every run, and publish-lock.json written and
          // deleted; a superseded version is no evidence (each manifest names its predecessor's
          // hash) once its lock has run out. Fleet staging has a bucket of its own.
          id: 'expire-superseded-versions',
          noncurrentVersionExpiration: retention,
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
