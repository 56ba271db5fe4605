import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, test } from 'vitest';
import { flatten, policyStatements, resourcesOf, synth } from '../helpers/infra.ts';

interface State {
  Type: string;
  Next?: string;
  End?: boolean;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  OutputPath?: string;
  ResultPath?: string | null;
  ItemsPath?: string;
  ItemSelector?: Record<string, unknown>;
  MaxConcurrency?: number;
  ToleratedFailurePercentage?: number;
  Label?: string;
  ItemProcessor?: { ProcessorConfig: Record<string, string>; StartAt: string; States: Record<string, State> };
  Retry?: Array<{ ErrorEquals: string[]; MaxAttempts?: number }>;
}

interface Definition {
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, State>;
}

function stateMachine(template: Template) {
  const machines = Object.entries(resourcesOf(template, 'AWS::StepFunctions::StateMachine'));
  expect(machines).toHaveLength(1);
  const [[id, machine]] = machines as [[string, { Properties: Record<string, unknown> }]];
  // Tokens become "<Logical.Attr>" inside the JSON's strings, which keeps it parseable.
  const definition = JSON.parse(flatten(machine.Properties.DefinitionString)) as Definition;
  return { id, properties: machine.Properties, definition };
}

describe('fleet mode (fleetMode: stepfunctions)', () => {
  let template: Template;
  beforeAll(() => {
    template = synth({
      fleetMode: 'stepfunctions',
      fleetMaxConcurrency: 25,
      fleetToleratedFailurePercentage: 20,
    }).template;
  });

  test('plan, then a Distributed Map over the planned clusters, then aggregate', () => {
    const { definition } = stateMachine(template);

    expect(definition.StartAt).toBe('Plan');
    expect(definition.States.Plan).toMatchObject({ Type: 'Task', Next: 'AuditEachCluster' });
    expect(definition.States.AuditEachCluster).toMatchObject({ Type: 'Map', Next: 'Aggregate' });
    expect(definition.States.Aggregate).toMatchObject({ Type: 'Task', End: true });
    expect(definition.TimeoutSeconds).toBe(12 * 3600);
  });

  test('each step invokes the same function with the event the handler expects', () => {
    const { definition } = stateMachine(template);
    const map = definition.States.AuditEachCluster as State;
    const auditCluster = map.ItemProcessor?.States.AuditCluster as State;

    for (const task of [definition.States.Plan, auditCluster, definition.States.Aggregate]) {
      expect(task?.Resource).toBe('arn:<AWS::Partition>:states:::lambda:invoke');
      expect(task?.Parameters?.FunctionName).toMatch(/^<AuditFunction\w+\.Arn>$/);
      expect(task?.OutputPath).toBe('$.Payload');
    }
    // The run id comes from the execution: a retried Plan plans the same run.
    expect(definition.States.Plan?.Parameters?.Payload).toEqual({
      mode: 'plan',
      execution: { 'name.$': '$$.Execution.Name', 'startTime.$': '$$.Execution.StartTime' },
    });
    expect(map.ItemSelector).toEqual({
      mode: 'cluster',
      'runId.$': '$.runId',
      'cluster.$': '$$.Map.Item.Value',
    });
    expect(auditCluster.Parameters?.['Payload.$']).toBe('$');
    expect(definition.States.Aggregate?.Parameters?.Payload).toEqual({
      mode: 'aggregate',
      'runId.$': '$.runId',
    });
  });

  test('the map runs standard child executions with the configured concurrency and tolerance', () => {
    const map = stateMachine(template).definition.States.AuditEachCluster as State;

    expect(map).toMatchObject({
      ItemsPath: '$.clusters',
      MaxConcurrency: 25,
      ToleratedFailurePercentage: 20,
      Label: 'AuditEachCluster',
    });
    expect(map.ItemProcessor?.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
  });

  test('per-cluster results pass through S3: the map discards what the invocations return', () => {
    const map = stateMachine(template).definition.States.AuditEachCluster as State;
    expect(map.ResultPath).toBeNull();
  });

  test('a throttled invocation is retried, not failed', () => {
    const { definition } = stateMachine(template);
    const auditCluster = definition.States.AuditEachCluster?.ItemProcessor?.States.AuditCluster as State;
    for (const task of [definition.States.Plan, auditCluster, definition.States.Aggregate]) {
      expect(task?.Retry?.map((retry) => retry.ErrorEquals)).toContainEqual([
        'Lambda.TooManyRequestsException',
      ]);
    }
  });

  test('staged results go to a bucket of their own without Object Lock, removable by the function and expiring', () => {
    const buckets = Object.entries(resourcesOf(template, 'AWS::S3::Bucket'));
    const [stagingId, staging] = buckets.find(([id]) => id.startsWith('FleetStaging')) as [
      string,
      { Properties: Record<string, unknown> },
    ];
    const evidence = buckets.find(([id]) => id.startsWith('EvidenceBucket'))?.[1];
    const keyId = Object.keys(resourcesOf(template, 'AWS::KMS::Key'))[0];

    expect(evidence?.Properties?.ObjectLockEnabled).toBe(true);
    expect(staging.Properties.ObjectLockEnabled).toBeUndefined();
    expect(staging.Properties.VersioningConfiguration).toBeUndefined();
    expect(staging.Properties.LifecycleConfiguration).toEqual({
      Rules: [
        {
          Id: 'expire-fleet-staging',
          Status: 'Enabled',
          ExpirationInDays: 3,
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        },
      ],
    });
    expect(staging.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
          },
        },
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DOCKERSHIM_AUDIT_STAGING_BUCKET: { Ref: stagingId } }) },
    });

    const statements = policyStatements(template);
    const bySid = (sid: string) => statements.find((entry) => entry.Sid === sid);
    expect(bySid('ReadWriteDeleteFleetStaging')).toMatchObject({
      Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
    });
    expect(flatten(bySid('ReadWriteDeleteFleetStaging')?.Resource)).toMatch(
      new RegExp(`^<${stagingId}\\.Arn>/audits/staging/\\*$`),
    );
    expect(bySid('ListFleetStaging')).toMatchObject({
      Action: 's3:ListBucket',
      Condition: { StringLike: { 's3:prefix': ['audits/staging/*'] } },
    });
  });

  test("no reserved concurrency unless configured: the map's own limit bounds the invocations", () => {
    const [fn] = Object.values(resourcesOf(template, 'AWS::Lambda::Function'));
    expect(fn?.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
  });

  test('the schedule starts the state machine, not the function', () => {
    const { id } = stateMachine(template);
    const schedule = Object.values(resourcesOf(template, 'AWS::Scheduler::Schedule'))[0];
    const target = schedule?.Properties?.Target as { Arn: unknown; Input: string };

    expect(target.Arn).toEqual({ Ref: id });
    expect(JSON.parse(target.Input)).toEqual({});
  });

  test('every execution is logged in full to a log group with the configured retention', () => {
    const { properties } = stateMachine(template);
    const logGroups = Object.entries(resourcesOf(template, 'AWS::Logs::LogGroup'));
    const [fleetLogsId, fleetLogs] = logGroups.find(([id]) => id.startsWith('FleetLogs')) as [
      string,
      { Properties: Record<string, unknown> },
    ];

    expect(properties.LoggingConfiguration).toEqual({
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [fleetLogsId, 'Arn'] } } }],
      IncludeExecutionData: true,
      Level: 'ALL',
    });
    expect(fleetLogs.Properties.RetentionInDays).toBe(365);
    expect(String(fleetLogs.Properties.LogGroupName)).toMatch(/^\/aws\/vendedlogs\/states\//);
    expect(properties.TracingConfiguration).toEqual({ Enabled: false });
  });

  test('an alarm on executions that fail, time out or are aborted', () => {
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
    const fleet = alarms.find((alarm) => Array.isArray(alarm.Properties?.Metrics));
    const metrics = fleet?.Properties?.Metrics as Array<{
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string; Namespace: string } };
    }>;

    expect(metrics.find((metric) => metric.Expression)?.Expression).toBe('failed + timedOut + aborted');
    expect(
      metrics.flatMap((metric) => (metric.MetricStat ? [metric.MetricStat.Metric.MetricName] : [])).sort(),
    ).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
    expect(alarms).toHaveLength(7);
  });

  test('X-Ray tracing of the state machine when asked for', () => {
    const traced = synth({ fleetMode: 'stepfunctions', tracing: true }).template;
    expect(stateMachine(traced).properties.TracingConfiguration).toEqual({ Enabled: true });
  });
});
