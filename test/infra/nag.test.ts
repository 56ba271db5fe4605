import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { describe, expect, test } from 'vitest';
import { synth } from '../helpers/infra.ts';

/** Everything there is to switch on: each option brings its own resources and grants. */
const EVERYTHING = {
  fleetMode: 'stepfunctions',
  tracing: true,
  createAccessEntries: true,
  alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops',
  secretsKmsKeyArns: ['arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
  vpc: {
    vpcId: 'vpc-0123456789abcdef0',
    privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  },
};

interface ValidationReport {
  pluginReports: Array<{ summary?: unknown; violations?: unknown[] }>;
}

function report(outdir: string): ValidationReport {
  return JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
}

/** Every acknowledgement in the tree: where it is, the rule (and finding) it names, why. */
function acknowledgements(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          // CDK files every acknowledgement under "Annotation::" unless it names another plugin.
          id: id.replace(/^Annotation::/, ''),
          reason,
        })),
      ),
  );
}

describe('cdk-nag (AwsSolutions) and CloudFormation validation', () => {
  test.each([
    ['as the fixture context describes it', {}],
    ['in fleet mode without tracing', { fleetMode: 'stepfunctions' }],
    ['with everything switched on', EVERYTHING],
    [
      'with an imported webhook secret',
      { webhookSecret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat-AbCdEf' },
    ],
  ])('%s, the stack has no finding left: no error, no warning', (_name, context) => {
    // Synthesis throws on an unacknowledged error; the report also lists warnings.
    const { app } = synth(context);
    const { pluginReports } = report(app.outdir);
    expect(pluginReports).toEqual([]);
  });

  test('the checks run in the app: a bucket without TLS enforcement or access logs fails the synth', () => {
    expect(() =>
      synth({}, undefined, (stack) => {
        new s3.Bucket(stack, 'Careless');
      }),
    ).toThrow(/AwsSolutions-S10/);
  });

  test('every acknowledgement names one rule or one finding, and says why', () => {
    const { app } = synth(EVERYTHING);
    const found = acknowledgements(app);

    expect(found.map((entry) => entry.id.replace(/\[.*\]$/, '[…]')).sort()).toEqual([
      '@aws-cdk/aws-ec2:noSubnetRouteTableId',
      '@aws-cdk/aws-ec2:noSubnetRouteTableId',
      'AwsSolutions-IAM5[…]',
      'AwsSolutions-IAM5[…]',
      'AwsSolutions-IAM5[…]',
      'AwsSolutions-IAM5[…]',
      'AwsSolutions-IAM5[…]',
      'AwsSolutions-IAM5[…]',
      'AwsSolutions-IAM5[…]',
      'AwsSolutions-S1',
      'AwsSolutions-SMG4',
      'AwsSolutions-SQS3',
      'AwsSolutions-SQS3',
    ]);
    for (const entry of found) {
      expect(entry.reason.length, `${entry.path} ${entry.id}`).toBeGreaterThan(40);
      // No blanket IAM5: each names the resource its wildcard is on.
      if (entry.id.startsWith('AwsSolutions-IAM5'))
        expect(entry.id).toMatch(/^AwsSolutions-IAM5\[Resource::.+\]$/);
    }
  });
});
