import type { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { ClusterEntry } from '../lambda/config/lambda-config.ts';
import { PUBLISH_LOCK_KEY } from '../lambda/store/publish-lock.ts';

export interface AuditPermissionsInput {
  clusters: readonly ClusterEntry[];
  bucketArn: string;
  /** The evidence prefix, ending in `/`. */
  prefix: string;
  bucketKeyArn: string;
  /** Fleet mode: the bucket where per-cluster results wait for the aggregate. */
  stagingBucketArn?: string;
  configParameterArn: string;
  webhookSecretArn?: string;
  secretsKmsKeyArns: readonly string[];
  snsTopicArn?: string;
  /** The KMS key of an encrypted topic: SNS asks it for a data key on the publisher's behalf. */
  snsTopicKeyArn?: string;
  /** The secret with the keys that sign report links. */
  linkSigningSecretArn?: string;
}

/** An EKS cluster the function reaches with its own role: no `roleArn` to assume, so the same account. */
export function isSameAccountEksCluster(
  cluster: ClusterEntry,
): cluster is Extract<ClusterEntry, { type: 'eks' }> {
  return cluster.type === 'eks' && cluster.roleArn === undefined;
}

/**
 * What the audit function may do, each statement on exactly the resources the configuration
 * names: nothing in here is `*`. A cluster reached through a role (`roleArn`) is described with
 * that role's credentials, so the function itself needs only to assume it.
 */
export function auditPolicyStatements(stack: Stack, input: AuditPermissionsInput): iam.PolicyStatement[] {
  const statements: iam.PolicyStatement[] = [];
  const eksClusters = input.clusters.filter(isSameAccountEksCluster);
  if (eksClusters.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'DescribeListedClusters',
        actions: ['eks:DescribeCluster'],
        resources: unique(eksClusters.map((cluster) => eksClusterArn(stack, cluster))),
      }),
    );
  }
  const roles = unique(
    input.clusters.flatMap((cluster) =>
      cluster.type === 'eks' && cluster.roleArn !== undefined ? [cluster.roleArn] : [],
    ),
  );
  if (roles.length > 0) {
    statements.push(
      new iam.PolicyStatement({ sid: 'AssumeListedRoles', actions: ['sts:AssumeRole'], resources: roles }),
    );
  }
  const secrets = unique([
    ...input.clusters.flatMap((cluster) => ('secretArn' in cluster ? [cluster.secretArn] : [])),
    ...(input.webhookSecretArn === undefined ? [] : [input.webhookSecretArn]),
    ...(input.linkSigningSecretArn === undefined ? [] : [input.linkSigningSecretArn]),
  ]);
  if (secrets.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'ReadListedSecrets',
        actions: ['secretsmanager:GetSecretValue'],
        resources: secrets,
      }),
    );
  }
  statements.push(
    new iam.PolicyStatement({
      sid: 'ReadConfigAndKubeconfigParameters',
      actions: ['ssm:GetParameter'],
      resources: unique([
        input.configParameterArn,
        ...input.clusters.flatMap((cluster) =>
          'parameterName' in cluster ? [parameterArn(stack, cluster.parameterName)] : [],
        ),
      ]),
    }),
  );
  if (input.secretsKmsKeyArns.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'DecryptSecretsWithCustomerKeys',
        actions: ['kms:Decrypt'],
        resources: unique(input.secretsKmsKeyArns),
      }),
    );
  }
  statements.push(
    new iam.PolicyStatement({
      sid: 'ReadWriteEvidenceUnderPrefix',
      actions: ['s3:GetObject', 's3:PutObject'],
      resources: [`${input.bucketArn}/${input.prefix}*`],
    }),
    // Listing, limited to the prefix. It also lets S3 answer 404 for a missing key under the
    // prefix (the first run's latest.json), which it would otherwise refuse with a 403.
    new iam.PolicyStatement({
      sid: 'ListEvidenceUnderPrefix',
      actions: ['s3:ListBucket'],
      resources: [input.bucketArn],
      conditions: { StringLike: { 's3:prefix': [input.prefix, `${input.prefix}*`] } },
    }),
    // The publishing lease is the one object the function deletes there (a delete marker: the
    // bucket keeps its versions). Runs and pointers are never deleted.
    new iam.PolicyStatement({
      sid: 'ReleasePublishLock',
      actions: ['s3:DeleteObject'],
      resources: [`${input.bucketArn}/${input.prefix}${PUBLISH_LOCK_KEY}`],
    }),
    // SSE-KMS: PutObject asks for a data key, GetObject decrypts it. Nothing calls Encrypt.
    new iam.PolicyStatement({
      sid: 'UseEvidenceKey',
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [input.bucketKeyArn],
    }),
  );
  if (input.stagingBucketArn !== undefined) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'ReadWriteDeleteFleetStaging',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [`${input.stagingBucketArn}/${input.prefix}staging/*`],
      }),
      // Listing a run's staged results to remove them; it also makes a missing one a 404, not a 403.
      new iam.PolicyStatement({
        sid: 'ListFleetStaging',
        actions: ['s3:ListBucket'],
        resources: [input.stagingBucketArn],
        conditions: { StringLike: { 's3:prefix': [`${input.prefix}staging/*`] } },
      }),
    );
  }
  if (input.snsTopicArn !== undefined) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'PublishEmail',
        actions: ['sns:Publish'],
        resources: [input.snsTopicArn],
      }),
    );
  }
  if (input.snsTopicKeyArn !== undefined) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'PublishToEncryptedTopic',
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: [input.snsTopicKeyArn],
      }),
    );
  }
  return statements;
}

/** DescribeCluster runs in the cluster's region, in this stack's account. */
export function eksClusterArn(stack: Stack, cluster: { clusterName: string; region: string }): string {
  return stack.formatArn({
    service: 'eks',
    region: cluster.region,
    resource: 'cluster',
    resourceName: cluster.clusterName,
  });
}

/** A parameter named `/a/b` has the ARN `...:parameter/a/b`, one named `a` has `...:parameter/a`. */
function parameterArn(stack: Stack, name: string): string {
  return stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.replace(/^\//, '') });
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
