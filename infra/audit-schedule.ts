import { Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { deadLetterQueue } from './dead-letter-queue.ts';
import { arnToken } from './nag.ts';

export interface AuditScheduleProps {
  expression: string;
  timeZone: string;
  /** What the schedule starts: the function (one run) or the fleet state machine. */
  target: { function: lambda.IFunction } | { stateMachine: sfn.IStateMachine };
}

/** How long and how often Scheduler keeps trying to start a run before it goes to the queue. */
const DELIVERY = { maxEventAge: Duration.hours(1), retryAttempts: 3 };

/**
 * The EventBridge Scheduler schedule that starts a run. A run it cannot start (throttled,
 * missing permission) lands in its own dead-letter queue, which has an alarm: otherwise a run
 * that never started would raise nothing.
 */
export class AuditSchedule extends Construct {
  readonly schedule: scheduler.Schedule;
  readonly deadLetters: sqs.Queue;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: AuditScheduleProps) {
    super(scope, id);
    this.deadLetters = deadLetterQueue(this, 'DeadLetters', "the schedule's dead-letter queue");

    const stack = Stack.of(this);
    // Its own role rather than the stack-wide one the targets create, so that what it may do
    // is acknowledged here, next to why.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'dockershim-audit: lets EventBridge Scheduler start the audit run',
    });
    const delivery = { ...DELIVERY, deadLetterQueue: this.deadLetters, role: this.role };
    let target: scheduler.IScheduleTarget;
    if ('function' in props.target) {
      target = new targets.LambdaInvoke(props.target.function, {
        ...delivery,
        input: scheduler.ScheduleTargetInput.fromObject({ mode: 'run' }),
      });
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${arnToken(props.target.function)}:*]`,
        reason:
          'lambda:InvokeFunction on the function and its versions, as the Scheduler target grants it; the schedule invokes the unqualified function.',
      });
    } else {
      target = new targets.StepFunctionsStartExecution(props.target.stateMachine, {
        ...delivery,
        input: scheduler.ScheduleTargetInput.fromObject({}),
      });
    }
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'dockershim-audit: starts the audit run',
      schedule: scheduler.ScheduleExpression.expression(props.expression, TimeZone.of(props.timeZone)),
      target,
    });
  }
}
