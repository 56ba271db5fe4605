import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, test } from 'vitest';
import { READER_GROUP } from '../../infra/settings.ts';
import { parseAuditServiceConfig } from '../../lambda/config/lambda-config.ts';
import { asList, fixtureContext, flatten, policyStatements, resourcesOf, synth } from '../helpers/infra.ts';
import { REPO_ROOT } from '../helpers/paths.ts';

const ACCOUNT = '123456789012';
const KUBECONFIG_SECRET = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:dockershim-audit/onprem-dc1-AbCdEf`;
const CROSS_ACCOUNT_ROLE = 'arn:aws:iam::210987654321:role/dockershim-audit-reader';
const PARAMETER_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const TOPIC = `arn:aws:sns:eu-west-1:${ACCOUNT}:audit-mail`;
const TOPIC_KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/0000aaaa-11bb-22cc-33dd-444444eeeeee`;

/** One of each kind of cluster entry, so every IAM statement has something to name. */
const FLEET = [
  { name: 'prod-eu', type: 'eks', clusterName: 'prod', region: 'eu-west-1' },
  { name: 'prod-us', type: 'eks', clusterName: 'prod', region: 'us-east-1' },
  { name: 'partner', type: 'eks', clusterName: 'shared', region: 'eu-west-1', roleArn: CROSS_ACCOUNT_ROLE },
  { name: 'onprem-dc1', type: 'kubeconfig', secretArn: KUBECONFIG_SECRET },
  {
    name: 'gke',
    type: 'kubeconfig',
    parameterName: '/dockershim-audit/kubeconfigs/gke',
    context: 'gke_prod',
  },
];

/** The statement with this Sid, resources flattened. */
function statement(template: Template, sid: string) {
  const found = policyStatements(template).filter((entry) => entry.Sid === sid);
  expect(found, `statement ${sid}`).toHaveLength(1);
  const [entry] = found as [Record<string, unknown>];
  return { ...entry, Resource: asList(entry.Resource).map(flatten), Action: asList(entry.Action) };
}

/** The logical id of the one resource of a type whose id starts with a construct's path. */
function idOf(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(resourcesOf(template, type)).filter((id) => id.startsWith(prefix));
  expect(ids, `${type} ${prefix}*`).toHaveLength(1);
  return ids[0] as string;
}

function onlyResourceOf(template: Template, type: string) {
  const resources = Object.entries(resourcesOf(template, type));
  expect(resources, type).toHaveLength(1);
  const [[id, resource]] = resources as [[string, { Properties: Record<string, unknown> }]];
  return { id, ...resource };
}

describe('the stack as the fixture context describes it (single mode)', () => {
  let template: Template;
  beforeAll(() => {
    template = synth().template;
  });

  test('the function runs the bundled handler on Node.js 24, arm64, with the configured size', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 900,
    });
  });

  test('no reserved concurrency unless configured: accounts with a low quota cannot reserve any', () => {
    const fn = onlyResourceOf(template, 'AWS::Lambda::Function');
    expect(fn.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
    synth({ reservedConcurrency: 2 }).template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 2,
    });
  });

  test('no source maps by default; an option turns them on', () => {
    const variables = (fn: { Properties: Record<string, unknown> }) =>
      (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables(onlyResourceOf(template, 'AWS::Lambda::Function'))).not.toHaveProperty('NODE_OPTIONS');
    const withMaps = onlyResourceOf(synth({ sourceMaps: true }).template, 'AWS::Lambda::Function');
    expect(variables(withMaps).NODE_OPTIONS).toBe('--enable-source-maps');
  });

  test('the function gets the environment the handler reads', () => {
    const fn = onlyResourceOf(template, 'AWS::Lambda::Function');
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const config = onlyResourceOf(template, 'AWS::SSM::Parameter');
    const bucket = idOf(template, 'AWS::S3::Bucket', 'EvidenceBucket');

    expect(Object.keys(variables).sort()).toEqual([
      'DOCKERSHIM_AUDIT_BUCKET',
      'DOCKERSHIM_AUDIT_CONFIG_PARAMETER',
      'DOCKERSHIM_AUDIT_KMS_KEY_ID',
      'DOCKERSHIM_AUDIT_LINK_EXPIRY_SECONDS',
      'DOCKERSHIM_AUDIT_PREFIX',
      'DOCKERSHIM_AUDIT_WEBHOOK_SECRET_ARN',
    ]);
    expect(variables.DOCKERSHIM_AUDIT_CONFIG_PARAMETER).toEqual({ Ref: config.id });
    expect(variables.DOCKERSHIM_AUDIT_BUCKET).toEqual({ Ref: bucket });
    expect(variables.DOCKERSHIM_AUDIT_PREFIX).toBe('audits/');
    expect(flatten(variables.DOCKERSHIM_AUDIT_KMS_KEY_ID)).toMatch(/^<EvidenceKey\w+\.Arn>$/);
    expect(variables.DOCKERSHIM_AUDIT_LINK_EXPIRY_SECONDS).toBe('604800');
    expect(flatten(variables.DOCKERSHIM_AUDIT_WEBHOOK_SECRET_ARN)).toMatch(/^<WebhookSecret\w+>$/);
  });

  test("the SSM parameter holds the context's service settings as the handler will read them", () => {
    const parameter = onlyResourceOf(template, 'AWS::SSM::Parameter');
    const document = JSON.parse(parameter.Properties.Value as string);
    const context = fixtureContext();

    expect(parameter.Properties.Type).toBe('String');
    expect(parameter.Properties.Tier).toBe('Standard');
    expect(document.clusters).toEqual(context.clusters);
    expect(document.notify).toEqual(context.notify);
    expect(() => parseAuditServiceConfig(parameter.Properties.Value, 'SSM')).not.toThrow();
  });

  test("the schedule invokes the function at the context's times, retries delivery, and has a dead-letter queue", () => {
    const schedule = onlyResourceOf(template, 'AWS::Scheduler::Schedule');
    const target = schedule.Properties.Target as Record<string, unknown>;

    expect(schedule.Properties).toMatchObject({
      // Not the defaults (03:00 UTC daily): these come from the context.
      ScheduleExpression: 'cron(30 2 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'ENABLED',
    });
    expect(flatten(target.Arn)).toMatch(/^<AuditFunction\w+\.Arn>$/);
    expect(JSON.parse(target.Input as string)).toEqual({ mode: 'run' });
    expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 3 });
    expect(flatten((target.DeadLetterConfig as { Arn: unknown }).Arn)).toMatch(
      /^<ScheduleDeadLetters\w+\.Arn>$/,
    );
  });

  test('asynchronous invocations are not retried and land, encrypted, in a queue when they fail', () => {
    const config = onlyResourceOf(template, 'AWS::Lambda::EventInvokeConfig');
    expect(config.Properties.MaximumRetryAttempts).toBe(0);
    const destination = (config.Properties.DestinationConfig as { OnFailure: { Destination: unknown } })
      .OnFailure;
    expect(flatten(destination.Destination)).toMatch(/^<AuditFailedInvocations\w+\.Arn>$/);

    const queues = resourcesOf(template, 'AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(2);
    for (const queue of Object.values(queues)) {
      expect(queue.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 1_209_600,
      });
    }
    const queuePolicies = Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy'));
    expect(queuePolicies).toHaveLength(2);
    for (const policy of queuePolicies) {
      expect(JSON.stringify(policy.Properties)).toContain('"aws:SecureTransport":"false"');
    }
  });

  test('the evidence bucket is versioned, locked, encrypted with its own rotating key, private and TLS only', () => {
    const buckets = resourcesOf(template, 'AWS::S3::Bucket');
    const [evidenceId, evidence] = Object.entries(buckets).find(([id]) =>
      id.startsWith('EvidenceBucket'),
    ) as [string, { Properties: Record<string, unknown> }];

    expect(evidence.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 365 } },
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    const encryption = (
      evidence.Properties.BucketEncryption as { ServerSideEncryptionConfiguration: unknown[] }
    ).ServerSideEncryptionConfiguration[0] as {
      ServerSideEncryptionByDefault: { SSEAlgorithm: string; KMSMasterKeyID: unknown };
    };
    expect(encryption.ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
    const key = onlyResourceOf(template, 'AWS::KMS::Key');
    expect(flatten(encryption.ServerSideEncryptionByDefault.KMSMasterKeyID)).toBe(`<${key.id}.Arn>`);
    expect(key.Properties.EnableKeyRotation).toBe(true);

    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({ ObjectLockEnabled: true }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: evidenceId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Deny',
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
          }),
        ]),
      },
    });
  });

  test('the evidence bucket logs access to a separate bucket that S3 can write to', () => {
    const buckets = Object.entries(resourcesOf(template, 'AWS::S3::Bucket'));
    const evidence = buckets.find(([id]) => id.startsWith('EvidenceBucket'))?.[1] as {
      Properties: Record<string, unknown>;
    };
    const [logsId, logs] = buckets.find(([id]) => id.startsWith('EvidenceAccessLogs')) as [
      string,
      { Properties: Record<string, unknown> },
    ];

    expect(evidence.Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logsId },
      LogFilePrefix: 'evidence/',
    });
    expect(logs.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logsId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject' }),
        ]),
      },
    });
  });

  test('runs move to cheaper storage and superseded versions go when unlocked; no fleet staging in the locked bucket', () => {
    const evidence = Object.entries(resourcesOf(template, 'AWS::S3::Bucket')).find(([id]) =>
      id.startsWith('EvidenceBucket'),
    )?.[1] as { Properties: { LifecycleConfiguration: { Rules: unknown[] } } };

    expect(evidence.Properties.LifecycleConfiguration.Rules).toEqual([
      {
        Id: 'runs-to-cheaper-storage',
        Prefix: 'audits/runs/',
        Status: 'Enabled',
        Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
      },
      {
        Id: 'expire-superseded-versions',
        Status: 'Enabled',
        NoncurrentVersionExpiration: { NoncurrentDays: 365 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      },
    ]);
  });

  test('the log group keeps a year of logs, and the role may write only there', () => {
    const fn = onlyResourceOf(template, 'AWS::Lambda::Function');
    const logGroup = Object.entries(resourcesOf(template, 'AWS::Logs::LogGroup'));
    expect(logGroup).toHaveLength(1);
    const [[logGroupId, group]] = logGroup as [[string, { Properties: Record<string, unknown> }]];

    expect(group.Properties.RetentionInDays).toBe(365);
    expect(fn.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
    expect(statement(template, 'WriteOwnLogs')).toMatchObject({
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [`<${logGroupId}.Arn>`],
    });
    const roles = Object.values(resourcesOf(template, 'AWS::IAM::Role'));
    for (const role of roles) expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
  });

  test('the webhook secret is created with a random signing key and no URL', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: '{}',
        GenerateStringKey: 'signingSecret',
        PasswordLength: 64,
        ExcludePunctuation: true,
      },
    });
  });

  test('an alarm for each way a run fails, on the first occurrence', () => {
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).map(
      (alarm) => alarm.Properties as Record<string, unknown>,
    );
    const metrics = alarms.map((alarm) => `${alarm.Namespace}/${alarm.MetricName}`).sort();

    expect(metrics).toEqual([
      'AWS/Lambda/Errors',
      'AWS/SQS/ApproximateNumberOfMessagesVisible',
      'AWS/SQS/ApproximateNumberOfMessagesVisible',
      'DockershimAudit/ClustersFailed',
      'DockershimAudit/NotificationFailed',
      'DockershimAudit/RunFailed',
    ]);
    const queues = alarms
      .filter((alarm) => alarm.Namespace === 'AWS/SQS')
      .map((alarm) => flatten((alarm.Dimensions as Array<{ Value: unknown }>)[0]?.Value));
    expect(queues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/AuditFailedInvocations\w+\.QueueName/),
        expect.stringMatching(/ScheduleDeadLetters\w+\.QueueName/),
      ]),
    );
    for (const alarm of alarms) {
      expect(alarm).toMatchObject({
        Threshold: 1,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(alarm.AlarmActions).toBeUndefined();
    }
    for (const name of ['ClustersFailed', 'NotificationFailed', 'RunFailed']) {
      // The handler's EMF records have no dimensions; an alarm with one would never see them.
      const alarm = alarms.find((entry) => entry.MetricName === name);
      expect(alarm?.Dimensions).toBeUndefined();
    }
  });

  test('no VPC, no access entries and no state machine unless asked for', () => {
    const fn = onlyResourceOf(template, 'AWS::Lambda::Function');
    expect(fn.Properties.VpcConfig).toBeUndefined();
    template.resourceCountIs('AWS::EKS::AccessEntry', 0);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
  });

  test('no AWS::CDK::Metadata: version reporting is off', () => {
    template.resourceCountIs('AWS::CDK::Metadata', 0);
  });
});

describe('least privilege, for a fleet with every kind of cluster', () => {
  let template: Template;
  beforeAll(() => {
    template = synth({
      clusters: FLEET,
      secretsKmsKeyArns: [PARAMETER_KEY],
      notify: { notify: 'changes', snsTopicArn: TOPIC },
      snsTopicKeyArn: TOPIC_KEY,
    }).template;
  });

  test('DescribeCluster on exactly the same-account clusters, in their regions', () => {
    expect(statement(template, 'DescribeListedClusters')).toMatchObject({
      Action: ['eks:DescribeCluster'],
      Resource: [
        'arn:<AWS::Partition>:eks:eu-west-1:<AWS::AccountId>:cluster/prod',
        'arn:<AWS::Partition>:eks:us-east-1:<AWS::AccountId>:cluster/prod',
      ],
    });
  });

  test('a cluster behind a role: AssumeRole on that role only, nothing on the cluster', () => {
    expect(statement(template, 'AssumeListedRoles')).toMatchObject({
      Action: ['sts:AssumeRole'],
      Resource: [CROSS_ACCOUNT_ROLE],
    });
    expect(JSON.stringify(policyStatements(template))).not.toContain('cluster/shared');
  });

  test('GetSecretValue on the kubeconfig secret and the webhook secret', () => {
    const secrets = statement(template, 'ReadListedSecrets');
    expect(secrets.Action).toEqual(['secretsmanager:GetSecretValue']);
    expect(secrets.Resource).toHaveLength(2);
    expect(secrets.Resource[0]).toBe(KUBECONFIG_SECRET);
    expect(secrets.Resource[1]).toMatch(/^<WebhookSecret\w+>$/);
  });

  test('GetParameter on the config parameter and the kubeconfig parameter, Decrypt with the listed key', () => {
    const parameters = statement(template, 'ReadConfigAndKubeconfigParameters');
    expect(parameters.Action).toEqual(['ssm:GetParameter']);
    expect(parameters.Resource).toEqual([
      expect.stringMatching(
        /^arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter\/<ServiceConfigParameter\w+>$/,
      ),
      'arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/dockershim-audit/kubeconfigs/gke',
    ]);
    expect(statement(template, 'DecryptSecretsWithCustomerKeys')).toMatchObject({
      Action: ['kms:Decrypt'],
      Resource: [PARAMETER_KEY],
    });
  });

  test('S3 read and write under the prefix, list only with the prefix, the bucket key for SSE-KMS', () => {
    expect(statement(template, 'ReadWriteEvidenceUnderPrefix')).toMatchObject({
      Action: ['s3:GetObject', 's3:PutObject'],
      Resource: [expect.stringMatching(/^<EvidenceBucket\w+\.Arn>\/audits\/\*$/)],
    });
    expect(statement(template, 'ListEvidenceUnderPrefix')).toMatchObject({
      Action: ['s3:ListBucket'],
      Resource: [expect.stringMatching(/^<EvidenceBucket\w+\.Arn>$/)],
      Condition: { StringLike: { 's3:prefix': ['audits/', 'audits/*'] } },
    });
    // The one object the function may delete in the evidence bucket: its publishing lease.
    expect(statement(template, 'ReleasePublishLock')).toMatchObject({
      Action: ['s3:DeleteObject'],
      Resource: [expect.stringMatching(/^<EvidenceBucket\w+\.Arn>\/audits\/publish-lock\.json$/)],
    });
    expect(
      policyStatements(template).filter((entry) =>
        asList(entry.Action as string | string[]).includes('s3:DeleteObject'),
      ),
    ).toHaveLength(1);
    // SSE-KMS needs a data key to write and Decrypt to read; nothing calls kms:Encrypt.
    expect(statement(template, 'UseEvidenceKey')).toMatchObject({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: [expect.stringMatching(/^<EvidenceKey\w+\.Arn>$/)],
    });
    expect(policyStatements(template).flatMap((entry) => asList(entry.Action))).not.toContain('kms:Encrypt');
  });

  test('Publish on the e-mail topic of the notify settings, and its key when the topic is encrypted', () => {
    expect(statement(template, 'PublishEmail')).toMatchObject({ Action: ['sns:Publish'], Resource: [TOPIC] });
    expect(statement(template, 'PublishToEncryptedTopic')).toMatchObject({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: [TOPIC_KEY],
    });
  });

  test('no statement grants eks, sts, secretsmanager, ssm, s3, kms or sns on "*", nor any action wildcard', () => {
    for (const entry of policyStatements(template)) {
      const actions = asList(entry.Action as string | string[]);
      const resources = asList(entry.Resource).map(flatten);
      // The one documented exception: SNS asks for kms:GenerateDataKey* on an encrypted topic's key.
      const allowed = entry.Sid === 'PublishToEncryptedTopic' ? ['kms:GenerateDataKey*'] : [];
      for (const action of actions.filter((action) => !allowed.includes(action)))
        expect(action, JSON.stringify(entry)).not.toContain('*');
      if (actions.some((action) => /^(eks|sts|secretsmanager|ssm|s3|kms|sns):/.test(action))) {
        expect(resources, JSON.stringify(entry)).not.toContain('*');
      }
    }
  });
});

describe('options', () => {
  test('memory, timeout, schedule and time zone, log retention, link expiry and prefix come from context', () => {
    const { template } = synth({
      memorySize: 2048,
      timeoutMinutes: 10,
      schedule: 'cron(30 1 ? * MON-FRI *)',
      scheduleTimezone: 'Europe/Berlin',
      logRetentionDays: 90,
      linkExpirySeconds: 3600,
      reportPrefix: 'evidence/dockershim',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 2048,
      Timeout: 600,
      Environment: {
        Variables: Match.objectLike({
          DOCKERSHIM_AUDIT_LINK_EXPIRY_SECONDS: '3600',
          DOCKERSHIM_AUDIT_PREFIX: 'evidence/dockershim/',
        }),
      },
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 1 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    expect(statement(template, 'ReadWriteEvidenceUnderPrefix').Resource[0]).toMatch(
      /\/evidence\/dockershim\/\*$/,
    );
  });

  test('compliance-mode Object Lock, its retention and the transition come from context', () => {
    const { template } = synth({
      objectLockMode: 'COMPLIANCE',
      objectLockDays: 2555,
      transitionStorageClass: 'GLACIER_IR',
      transitionDays: 90,
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } } },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }] }),
        ]),
      },
    });
  });

  test('an imported webhook secret is used as it is; "none" leaves the variable out', () => {
    const arn = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:chat-webhook-AbCdEf`;
    const imported = synth({ webhookSecret: arn }).template;
    imported.resourceCountIs('AWS::SecretsManager::Secret', 0);
    imported.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DOCKERSHIM_AUDIT_WEBHOOK_SECRET_ARN: arn }) },
    });
    expect(statement(imported, 'ReadListedSecrets').Resource).toContain(arn);

    const none = synth({ webhookSecret: 'none' }).template;
    none.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const variables = (
      onlyResourceOf(none, 'AWS::Lambda::Function').Properties.Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    expect(variables.DOCKERSHIM_AUDIT_WEBHOOK_SECRET_ARN).toBeUndefined();
  });

  test('a configuration over 4 KB goes to an advanced parameter', () => {
    const clusters = Array.from({ length: 60 }, (_, index) => ({
      name: `cluster-${index}`,
      type: 'eks',
      clusterName: `cluster-${index}`,
      region: 'eu-west-1',
    }));
    synth({ clusters }).template.hasResourceProperties('AWS::SSM::Parameter', { Tier: 'Advanced' });
  });

  test('alarms notify the given topic', () => {
    const { template } = synth({ alarmTopicArn: TOPIC });
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) expect(alarm.Properties?.AlarmActions).toEqual([TOPIC]);
  });

  test('in a VPC: the private subnets, and a security group that lets only TLS out', () => {
    const { template } = synth({
      vpc: {
        vpcId: 'vpc-0123456789abcdef0',
        privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
        availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      },
    });
    const group = onlyResourceOf(template, 'AWS::EC2::SecurityGroup');
    expect(group.Properties.VpcId).toBe('vpc-0123456789abcdef0');
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    expect(group.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: {
        SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
        SecurityGroupIds: [{ 'Fn::GetAtt': [group.id, 'GroupId'] }],
      },
    });
    expect(statement(template, 'ManageVpcNetworkInterfaces').Action).toContain('ec2:CreateNetworkInterface');
  });

  test('a VPC may allow other API server ports', () => {
    const { template } = synth({
      vpc: {
        vpcId: 'vpc-0123456789abcdef0',
        privateSubnetIds: ['subnet-0123456789abcdef0'],
        availabilityZones: ['eu-west-1a'],
        egressPorts: [443, 6443],
      },
    });
    const group = onlyResourceOf(template, 'AWS::EC2::SecurityGroup');
    expect(
      (group.Properties.SecurityGroupEgress as Array<{ FromPort: number }>).map((rule) => rule.FromPort),
    ).toEqual([443, 6443]);
  });

  test('a link signing secret: the function is told where it is and may read it', () => {
    const secret = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:dockershim-audit/link-signer-AbCdEf`;
    const { template } = synth({ linkSigningSecretArn: secret });
    const fn = onlyResourceOf(template, 'AWS::Lambda::Function');
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables.DOCKERSHIM_AUDIT_LINK_SIGNING_SECRET_ARN).toBe(secret);
    expect(statement(template, 'ReadListedSecrets').Resource).toContain(secret);
  });

  test('X-Ray tracing when asked for', () => {
    synth({ tracing: true }).template.hasResourceProperties('AWS::Lambda::Function', {
      TracingConfig: { Mode: 'Active' },
    });
  });
});

describe('EKS access entries', () => {
  test("for same-account clusters in the stack's region, mapped to the group deploy/rbac.yaml binds", () => {
    const { template } = synth(
      { clusters: FLEET, createAccessEntries: true },
      { account: ACCOUNT, region: 'eu-west-1' },
    );
    const entries = Object.values(resourcesOf(template, 'AWS::EKS::AccessEntry'));
    const functionRole = idOf(template, 'AWS::IAM::Role', 'AuditRole');

    expect(entries).toHaveLength(1);
    expect(entries[0]?.Properties).toEqual({
      ClusterName: 'prod',
      PrincipalArn: { 'Fn::GetAtt': [functionRole, 'Arn'] },
      KubernetesGroups: [READER_GROUP],
      Type: 'STANDARD',
    });
    const rbac = readFileSync(join(REPO_ROOT, 'deploy/rbac.yaml'), 'utf8');
    expect(rbac).toContain(`name: ${READER_GROUP}`);
  });

  test('an environment-agnostic stack decides by region at deploy time', () => {
    const { template } = synth({ clusters: FLEET, createAccessEntries: true });
    const entries = template.findResources('AWS::EKS::AccessEntry');
    const conditions = template.toJSON().Conditions as Record<string, unknown>;

    expect(Object.keys(entries)).toHaveLength(2);
    const byCluster = Object.fromEntries(
      Object.values(entries).map((entry) => [
        JSON.stringify(conditions[(entry as { Condition: string }).Condition]),
        (entry as { Properties: { ClusterName: string } }).Properties.ClusterName,
      ]),
    );
    expect(byCluster).toEqual({
      '{"Fn::Equals":[{"Ref":"AWS::Region"},"eu-west-1"]}': 'prod',
      '{"Fn::Equals":[{"Ref":"AWS::Region"},"us-east-1"]}': 'prod',
    });
  });

  test('none unless createAccessEntries is set', () => {
    synth({ clusters: FLEET }, { account: ACCOUNT, region: 'eu-west-1' }).template.resourceCountIs(
      'AWS::EKS::AccessEntry',
      0,
    );
  });
});
