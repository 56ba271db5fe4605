import { CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ServiceEnv } from '../lambda/config/service-environment.ts';
import { AuditAlarms } from './audit-alarms.ts';
import { AuditFunction } from './audit-function.ts';
import { auditPolicyStatements } from './audit-permissions.ts';
import { AuditSchedule } from './audit-schedule.ts';
import { ClusterAccessEntries } from './cluster-access-entries.ts';
import { EvidenceBucket } from './evidence-bucket.ts';
import { FleetStagingBucket } from './fleet-staging-bucket.ts';
import { FleetStateMachine } from './fleet-state-machine.ts';
import { arnToken } from './nag.ts';
import { ServiceConfigParameter } from './service-config-parameter.ts';
import type { DeploymentSettings } from './settings.ts';
import { WebhookSecret } from './webhook-secret.ts';

export interface AuditStackProps extends StackProps {
  settings: DeploymentSettings;
  /** The repository root (where package.json is). */
  projectRoot: string;
  /** The handler, relative to projectRoot. @default lambda/handler.ts */
  entry?: string;
}

/** The whole service: schedule → function (or fleet state machine) → evidence bucket, with alarms. */
export class AuditStack extends Stack {
  readonly evidence: EvidenceBucket;
  readonly audit: AuditFunction;
  readonly fleet: FleetStateMachine | undefined;

  constructor(scope: Construct, id: string, props: AuditStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const fleetMode = settings.fleet.mode === 'stepfunctions';

    this.evidence = new EvidenceBucket(this, 'Evidence', {
      evidence: settings.evidence,
      accessLogDays: settings.logRetentionDays,
    });
    const staging = fleetMode
      ? new FleetStagingBucket(this, 'FleetStaging', {
          key: this.evidence.key,
          accessLogs: this.evidence.accessLogs,
          expirationDays: settings.evidence.stagingExpirationDays,
        })
      : undefined;
    const config = new ServiceConfigParameter(this, 'ServiceConfig', settings.service);
    const webhookSecretArn =
      settings.webhookSecret.kind === 'create'
        ? new WebhookSecret(this, 'Webhook').secret.secretArn
        : settings.webhookSecret.kind === 'import'
          ? settings.webhookSecret.arn
          : undefined;

    this.audit = new AuditFunction(this, 'Audit', {
      projectRoot: props.projectRoot,
      entry: props.entry ?? 'lambda/handler.ts',
      memorySize: settings.memorySize,
      timeoutMinutes: settings.timeoutMinutes,
      logRetentionDays: settings.logRetentionDays,
      // Reserved only when asked: stack creation fails where the account's concurrency quota is
      // too low to reserve any. Overlapping runs are safe: publishing a run is a compare-and-swap.
      ...(settings.reservedConcurrency !== undefined && {
        reservedConcurrency: settings.reservedConcurrency,
      }),
      tracing: settings.tracing,
      sourceMaps: settings.sourceMaps,
      ...(settings.vpc ? { vpc: settings.vpc } : {}),
      environment: {
        [ServiceEnv.configParameter]: config.parameter.parameterName,
        [ServiceEnv.bucket]: this.evidence.bucket.bucketName,
        ...(staging ? { [ServiceEnv.stagingBucket]: staging.bucket.bucketName } : {}),
        [ServiceEnv.prefix]: settings.evidence.prefix,
        [ServiceEnv.kmsKeyId]: this.evidence.key.keyArn,
        [ServiceEnv.linkExpirySeconds]: String(settings.evidence.linkExpirySeconds),
        ...(webhookSecretArn === undefined ? {} : { [ServiceEnv.webhookSecretArn]: webhookSecretArn }),
        ...(settings.linkSigningSecretArn === undefined
          ? {}
          : { [ServiceEnv.linkSigningSecretArn]: settings.linkSigningSecretArn }),
      },
    });
    const snsTopicArn = settings.service.notify?.snsTopicArn;
    for (const statement of auditPolicyStatements(this, {
      clusters: settings.service.clusters,
      bucketArn: this.evidence.bucket.bucketArn,
      prefix: settings.evidence.prefix,
      bucketKeyArn: this.evidence.key.keyArn,
      ...(staging ? { stagingBucketArn: staging.bucket.bucketArn } : {}),
      configParameterArn: config.parameter.parameterArn,
      secretsKmsKeyArns: settings.secretsKmsKeyArns,
      ...(webhookSecretArn === undefined ? {} : { webhookSecretArn }),
      ...(typeof snsTopicArn === 'string' ? { snsTopicArn } : {}),
      ...(settings.snsTopicKeyArn === undefined ? {} : { snsTopicKeyArn: settings.snsTopicKeyArn }),
      ...(settings.linkSigningSecretArn === undefined
        ? {}
        : { linkSigningSecretArn: settings.linkSigningSecretArn }),
    })) {
      this.audit.role.addToPrincipalPolicy(statement);
    }
    Validations.of(this.audit.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${arnToken(this.evidence.bucket)}/${settings.evidence.prefix}*]`,
      reason:
        'The function reads and writes every object under its evidence prefix (runs, pointers); nothing outside it.',
    });
    if (staging) {
      Validations.of(this.audit.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${arnToken(staging.bucket)}/${settings.evidence.prefix}staging/*]`,
        reason:
          "Fleet mode stages one object per cluster and run, named at run time, and removes them after the aggregate; only in the staging bucket's staging/ prefix.",
      });
    }
    if (settings.snsTopicKeyArn !== undefined) {
      Validations.of(this.audit.role).acknowledge({
        id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason:
          'Publishing to an SSE-KMS topic needs kms:GenerateDataKey* and kms:Decrypt on its key, as the SNS documentation states; only on that one key.',
      });
    }

    if (settings.createAccessEntries) {
      new ClusterAccessEntries(this, 'ClusterAccess', {
        clusters: settings.service.clusters,
        role: this.audit.role,
      });
    }

    this.fleet = fleetMode
      ? new FleetStateMachine(this, 'Fleet', {
          function: this.audit.function,
          maxConcurrency: settings.fleet.maxConcurrency,
          toleratedFailurePercentage: settings.fleet.toleratedFailurePercentage,
          logRetentionDays: settings.logRetentionDays,
          tracing: settings.tracing,
        })
      : undefined;

    const schedule = new AuditSchedule(this, 'Schedule', {
      expression: settings.schedule.expression,
      timeZone: settings.schedule.timeZone,
      target: this.fleet ? { stateMachine: this.fleet.stateMachine } : { function: this.audit.function },
    });

    new AuditAlarms(this, 'Alarms', {
      function: this.audit.function,
      deadLetterQueues: {
        FailedInvocations: this.audit.failedInvocations,
        ScheduleDeadLetters: schedule.deadLetters,
      },
      ...(this.fleet ? { stateMachine: this.fleet.stateMachine } : {}),
      ...(settings.alarmTopicArn === undefined ? {} : { alarmTopicArn: settings.alarmTopicArn }),
    });

    new CfnOutput(this, 'EvidenceBucketName', {
      value: this.evidence.bucket.bucketName,
      description: 'Where runs are kept: dockershim-audit verify --store s3://BUCKET/PREFIX',
    });
    new CfnOutput(this, 'FunctionName', { value: this.audit.function.functionName });
    new CfnOutput(this, 'FunctionRoleArn', {
      value: this.audit.role.roleArn,
      description: 'Map this role to dockershim-audit:readers in each cluster (EKS access entry)',
    });
    new CfnOutput(this, 'ConfigParameterName', { value: config.parameter.parameterName });
    if (webhookSecretArn !== undefined) {
      new CfnOutput(this, 'WebhookSecretArn', {
        value: webhookSecretArn,
        description: 'Put {"url": "...", "signingSecret": "..."} here (aws secretsmanager put-secret-value)',
      });
    }
    if (this.fleet)
      new CfnOutput(this, 'StateMachineArn', { value: this.fleet.stateMachine.stateMachineArn });
  }
}
