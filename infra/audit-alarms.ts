import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../lambda/service/metrics.ts';

export interface AuditAlarmsProps {
  function: lambda.IFunction;
  /** Queues whose messages are runs that failed or never started. */
  deadLetterQueues: Record<string, sqs.IQueue>;
  stateMachine?: sfn.IStateMachine;
  /** An existing SNS topic that every alarm notifies. */
  alarmTopicArn?: string;
}

/**
 * One alarm per way a run can go wrong, each firing on the first occurrence: a nightly job
 * has no background rate of failures to tolerate.
 */
export class AuditAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: AuditAlarmsProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    this.add(
      'FunctionErrors',
      'The audit function failed (an error, a timeout or a crash)',
      props.function.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
    );
    const handlerMetric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        period,
        statistic: cloudwatch.Stats.MAXIMUM,
      });
    this.add(
      'RunFailed',
      'A run failed: nothing could be audited or the run could not be stored',
      handlerMetric('RunFailed'),
    );
    this.add('ClustersFailed', 'At least one cluster could not be read', handlerMetric('ClustersFailed'));
    this.add(
      'NotificationFailed',
      'The run was stored but its notification could not be delivered',
      handlerMetric('NotificationFailed'),
    );
    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      this.add(
        name,
        'A run failed or could not be started; the message in the queue says why',
        queue.metricApproximateNumberOfMessagesVisible({ period, statistic: cloudwatch.Stats.MAXIMUM }),
      );
    }
    if (props.stateMachine) {
      const machine = props.stateMachine;
      this.add(
        'FleetRunFailed',
        'A fleet run (state machine execution) failed, timed out or was aborted',
        new cloudwatch.MathExpression({
          label: 'Fleet runs that did not succeed',
          expression: 'failed + timedOut + aborted',
          usingMetrics: {
            failed: machine.metricFailed({ statistic: cloudwatch.Stats.SUM }),
            timedOut: machine.metricTimedOut({ statistic: cloudwatch.Stats.SUM }),
            aborted: machine.metricAborted({ statistic: cloudwatch.Stats.SUM }),
          },
          period,
        }),
      );
    }
    if (props.alarmTopicArn !== undefined) {
      const topic = sns.Topic.fromTopicArn(this, 'Topic', props.alarmTopicArn);
      for (const alarm of this.alarms) alarm.addAlarmAction(new actions.SnsAction(topic));
    }
  }

  private add(id: string, description: string, metric: cloudwatch.IMetric): void {
    this.alarms.push(
      new cloudwatch.Alarm(this, id, {
        alarmDescription: `dockershim-audit: ${description}`,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No data means no run in the period, not a failure.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }
}
