import { Duration, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterQueue } from './dead-letter-queue.ts';
import type { VpcPlacement } from './settings.ts';

/**
 * The bundle is ESM; a CommonJS dependency that calls `require` (the AWS SDK's and
 * client-node's transitive packages do) needs one that ESM does not provide.
 */
const REQUIRE_BANNER =
  "import { createRequire as __dsaCreateRequire } from 'node:module'; const require = __dsaCreateRequire(import.meta.url);";

const VPC_WILDCARD_REASON =
  'Lambda manages the network interfaces of a VPC function with EC2 actions that do not scope Describe* to resources, and it checks the others against "*" when it creates the function.';

export interface AuditFunctionProps {
  /** The repository root: the handler, package-lock.json and templates/ are found from here. */
  projectRoot: string;
  /** The handler's file, relative to projectRoot. */
  entry: string;
  memorySize: number;
  timeoutMinutes: number;
  logRetentionDays: number;
  /** At most this many invocations at once; none reserved when absent. */
  reservedConcurrency?: number;
  environment: Record<string, string>;
  tracing: boolean;
  /**
   * Ships the source map and runs with `--enable-source-maps`: stack traces name the sources,
   * but the 11 MB map costs about half a second at start and 100-190 MB once an error is thrown.
   */
  sourceMaps: boolean;
  vpc?: VpcPlacement;
}

/**
 * The audit Lambda: the handler bundled by the local esbuild (never Docker) for Node.js 24 on
 * arm64, with its own log group and role, and a queue for the asynchronous invocations that fail.
 */
export class AuditFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly failedInvocations: sqs.Queue;

  constructor(scope: Construct, id: string, props: AuditFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetentionDays });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'dockershim-audit: reads the listed clusters, writes evidence, notifies',
    });
    // Written out instead of AWSLambdaBasicExecutionRole, which may write to any log group.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.failedInvocations = deadLetterQueue(
      this,
      'FailedInvocations',
      "the failure destination of the function's asynchronous invocations",
    );

    const network = props.vpc ? this.network(props.vpc) : undefined;
    const projectRoot = props.projectRoot;
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: 'dockershim-audit: audits Kubernetes clusters for Docker Engine dependencies',
      entry: `${projectRoot}/${props.entry}`,
      handler: 'handler',
      projectRoot,
      depsLockFilePath: `${projectRoot}/package-lock.json`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: Duration.minutes(props.timeoutMinutes),
      ...(props.reservedConcurrency !== undefined && {
        reservedConcurrentExecutions: props.reservedConcurrency,
      }),
      role: this.role,
      logGroup: this.logGroup,
      tracing: props.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      // The templates are found beside the bundle (templates/, copied below); no variable needed.
      environment: {
        ...props.environment,
        ...(props.sourceMaps && { NODE_OPTIONS: '--enable-source-maps' }),
      },
      // A failed run is not retried: the next scheduled run comes anyway, a rerun would notify
      // twice, and one that ran out of time would run out of time again. The alarms say it failed.
      retryAttempts: 0,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.failedInvocations),
      ...(network ?? {}),
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: REQUIRE_BANNER,
        minify: true,
        keepNames: true,
        sourceMap: props.sourceMaps,
        // The pinned SDK clients, not whichever the runtime ships: the S3 store relies on their
        // checksum and retry behaviour.
        bundleAwsSDK: true,
        forceDockerBundling: false,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) => [
            `cp -R "${inputDir}/templates" "${outputDir}/templates"`,
          ],
        },
      },
    });

    // Both grants below can only name "*"; one acknowledgement says why for each.
    const wildcards = [
      ...(props.vpc ? [VPC_WILDCARD_REASON] : []),
      ...(props.tracing ? ['X-Ray accepts trace segments only on resource "*".'] : []),
    ];
    if (wildcards.length > 0) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: wildcards.join(' '),
      });
    }
  }

  /** Private subnets of an existing VPC, and a security group that only lets TLS out. */
  private network(
    placement: VpcPlacement,
  ): Pick<lambda.FunctionProps, 'vpc' | 'vpcSubnets' | 'securityGroups'> {
    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: placement.vpcId,
      availabilityZones: placement.availabilityZones,
      privateSubnetIds: placement.privateSubnetIds,
    });
    for (const subnet of vpc.privateSubnets) {
      Validations.of(subnet).acknowledge({
        id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
        reason:
          'The function only places its network interfaces in these subnets; nothing reads their route tables.',
      });
    }
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: 'dockershim-audit: no inbound; outbound only to API servers and AWS endpoints',
      allowAllOutbound: false,
    });
    for (const port of placement.egressPorts) {
      securityGroup.addEgressRule(
        ec2.Peer.anyIpv4(),
        ec2.Port.tcp(port),
        `TLS to API servers and AWS (${port})`,
      );
    }
    // What AWSLambdaVPCAccessExecutionRole grants, without its log permissions.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ManageVpcNetworkInterfaces',
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
      }),
    );
    return { vpc, vpcSubnets: { subnets: vpc.privateSubnets }, securityGroups: [securityGroup] };
  }
}
