import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { arnToken } from './nag.ts';

export interface FleetStateMachineProps {
  function: lambda.IFunction;
  maxConcurrency: number;
  toleratedFailurePercentage: number;
  logRetentionDays: number;
  tracing: boolean;
}

/**
 * Fleet mode: plan → one audit per cluster in a Distributed Map → aggregate, all by the same
 * function. Each cluster's result goes to the staging bucket (staging/<runId>/clusters/<name>.json)
 * and the map discards what the invocations return, so no state payload grows with the fleet.
 * Every step may run twice (Step Functions retries, at-least-once invocations): plan derives
 * the run id from the execution, a map item keeps the first staged result, and the aggregate
 * of a run that is stored already writes nothing.
 */
export class FleetStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FleetStateMachineProps) {
    super(scope, id);
    const invoke = (stepId: string, payload: sfn.TaskInput, comment: string) => {
      const task = tasks.LambdaInvoke.jsonPath(this, stepId, {
        lambdaFunction: props.function,
        payload,
        outputPath: '$.Payload',
        comment,
      });
      // The function's reserved concurrency is the map's concurrency: an invocation that finds
      // it used up (another execution's plan or aggregate) waits its turn instead of failing.
      task.addRetry({
        errors: ['Lambda.TooManyRequestsException'],
        interval: Duration.seconds(10),
        backoffRate: 2,
        maxDelay: Duration.minutes(5),
        maxAttempts: 8,
        jitterStrategy: sfn.JitterType.FULL,
      });
      return task;
    };

    // The run id comes from the execution, so a retried Plan plans the same run.
    const plan = invoke(
      'Plan',
      sfn.TaskInput.fromObject({
        mode: 'plan',
        execution: { 'name.$': '$$.Execution.Name', 'startTime.$': '$$.Execution.StartTime' },
      }),
      'Starts a run: its id and the clusters to audit',
    );
    const auditEachCluster = sfn.DistributedMap.jsonPath(this, 'AuditEachCluster', {
      comment: 'One audit per cluster; results are staged in S3',
      itemsPath: '$.clusters',
      itemSelector: { mode: 'cluster', 'runId.$': '$.runId', 'cluster.$': '$$.Map.Item.Value' },
      maxConcurrency: props.maxConcurrency,
      toleratedFailurePercentage: props.toleratedFailurePercentage,
      resultPath: sfn.JsonPath.DISCARD,
      // Standard child executions: an audit may take longer than an Express execution's 5 minutes.
      mapExecutionType: sfn.StateMachineType.STANDARD,
      label: 'AuditEachCluster',
    });
    auditEachCluster.itemProcessor(
      invoke('AuditCluster', sfn.TaskInput.fromJsonPathAt('$'), 'Audits one cluster and stages its result'),
    );
    const aggregate = invoke(
      'Aggregate',
      sfn.TaskInput.fromObject({ mode: 'aggregate', 'runId.$': '$.runId' }),
      'Assembles the fleet report from the staged results, stores the run and notifies',
    );

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // Under /aws/vendedlogs/ CloudWatch Logs needs no resource policy per log group.
      logGroupName: `/aws/vendedlogs/states/${this.node.addr}`,
      retention: props.logRetentionDays,
      // Its name is fixed, so a retained group would block deploying the stack again; these are
      // execution logs, the evidence is in the bucket.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'dockershim-audit fleet run',
      definitionBody: sfn.DefinitionBody.fromChainable(plan.next(auditEachCluster).next(aggregate)),
      // Bounded so that a stuck run ends long before the next nightly run starts.
      timeout: Duration.hours(12),
      tracingEnabled: props.tracing,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    this.acknowledgeGrants(props);
  }

  /** What CDK grants the state machine's role, and why each wildcard is the narrowest there is. */
  private acknowledgeGrants(props: FleetStateMachineProps): void {
    const machine = this.stateMachine;
    const reasons: Record<string, string> = {
      [`${arnToken(props.function)}:*`]:
        'lambda:InvokeFunction on the audit function and its versions, as LambdaInvoke grants it; the tasks invoke the unqualified function.',
      '*': `CloudWatch Logs delivery (logs:*LogDelivery, DescribeLogGroups, *ResourcePolicy)${props.tracing ? ' and X-Ray' : ''} accept no resource but "*".`,
    };
    // The map's child executions are named after the state machine, whose name CloudFormation
    // chooses: the grant splits it out of the ARN.
    const name = `{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${Stack.of(this).getLogicalId(machine.node.defaultChild as sfn.CfnStateMachine)}"}]}]}`;
    const executions = 'arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:';
    reasons[`${executions}${name}:*`] =
      "Describe and stop the Distributed Map's child executions: their names are only known at run time.";
    reasons[`${executions}${name}/AuditEachCluster:*`] =
      "Redrive the Distributed Map's runs: their ids are only known at run time.";
    for (const [resource, reason] of Object.entries(reasons)) {
      Validations.of(machine).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
    }
    if (!props.tracing) {
      Validations.of(machine).acknowledge({
        id: 'AwsSolutions-SF2',
        reason:
          'X-Ray tracing is optional (context "tracing"); the execution history and logs at level ALL record every step.',
      });
    }
  }
}
