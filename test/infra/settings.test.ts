import { describe, expect, test } from 'vitest';
import { DEFAULTS, readSettings, SETTINGS, unknownContextKeys } from '../../infra/settings.ts';
import { ConfigError } from '../../lambda/config/errors.ts';
import { parseAuditServiceConfig } from '../../lambda/config/lambda-config.ts';
import type { SettingDeclaration } from '../../lambda/config/setting-declaration.ts';
import { cdkJsonContext } from '../helpers/infra.ts';

const CLUSTERS = [{ name: 'prod', type: 'eks', clusterName: 'prod', region: 'eu-west-1' }];

/** A context reader over a plain object, as cdk.json or `-c` would give it. */
const settingsFrom = (context: Record<string, unknown>) =>
  readSettings((key) => ({ clusters: CLUSTERS, ...context })[key]);

function configErrorOf(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('deployment settings from context', () => {
  test('only the clusters are required; everything else has the documented default', () => {
    const settings = settingsFrom({});

    expect(settings).toMatchObject({
      stackName: 'DockershimAudit',
      schedule: { expression: 'cron(0 3 * * ? *)', timeZone: 'UTC' },
      memorySize: 1024,
      timeoutMinutes: 15,
      logRetentionDays: 365,
      evidence: {
        prefix: 'audits/',
        linkExpirySeconds: 604_800,
        objectLockMode: 'GOVERNANCE',
        objectLockDays: 365,
        transitionDays: 30,
        transitionStorageClass: 'STANDARD_IA',
        stagingExpirationDays: 3,
      },
      webhookSecret: { kind: 'create' },
      secretsKmsKeyArns: [],
      createAccessEntries: false,
      fleet: { mode: 'single', maxConcurrency: 10, toleratedFailurePercentage: 100 },
      tracing: false,
      sourceMaps: false,
    });
    expect(settings.alarmTopicArn).toBeUndefined();
    expect(settings.vpc).toBeUndefined();
    expect(settings.reservedConcurrency).toBeUndefined();
    expect(settings.snsTopicKeyArn).toBeUndefined();
    expect(settings.linkSigningSecretArn).toBeUndefined();
    expect(settings.service).toEqual({
      clusters: CLUSTERS,
      clusterConcurrency: 4,
      clusterTimeoutSeconds: 600,
      readKubeletConfig: false,
      maxResponseMegabytes: 64,
    });
  });

  test('-c key=value strings mean what the same JSON in cdk.json means', () => {
    const settings = settingsFrom({
      memorySize: '2048',
      createAccessEntries: 'true',
      tracing: 'false',
      fleetMode: 'stepfunctions',
      clusters: JSON.stringify(CLUSTERS),
      vpc: '{"vpcId":"vpc-0123456789abcdef0","privateSubnetIds":["subnet-0123456789abcdef0"],"availabilityZones":["eu-west-1a"]}',
    });

    expect(settings.memorySize).toBe(2048);
    expect(settings.createAccessEntries).toBe(true);
    expect(settings.tracing).toBe(false);
    expect(settings.fleet.mode).toBe('stepfunctions');
    expect(settings.service.clusters).toEqual(CLUSTERS);
    expect(settings.vpc).toEqual({
      vpcId: 'vpc-0123456789abcdef0',
      privateSubnetIds: ['subnet-0123456789abcdef0'],
      availabilityZones: ['eu-west-1a'],
      egressPorts: [443],
    });
  });

  test('the service document is one the handler accepts, with notify and policy as written', () => {
    const notify = { notify: 'always', snsTopicArn: 'arn:aws:sns:eu-west-1:123456789012:audit' };
    const policy = { rules: { DS007: { severity: 'info' } } };
    const settings = settingsFrom({ notify, policy, clusterConcurrency: 8 });

    expect(settings.service.notify).toEqual(notify);
    expect(settings.service.policy).toEqual(policy);
    const parsed = parseAuditServiceConfig(JSON.stringify(settings.service), 'SSM');
    expect(parsed.clusterConcurrency).toBe(8);
    expect(parsed.notify).toEqual({ when: 'always', snsTopicArn: notify.snsTopicArn });
  });

  test("a cluster entry the handler would refuse stops the synth with the handler's words", () => {
    const clusters = [{ name: 'prod', type: 'eks', clusterName: 'prod', region: 'Europe' }];

    const error = configErrorOf(() => settingsFrom({ clusters }));

    expect(error.message).toBe(
      configErrorOf(() => parseAuditServiceConfig({ clusters }, 'cdk.json context')).message,
    );
    expect(error.message).toContain('clusters[0].region');
  });

  test('a fleet without clusters is refused', () => {
    expect(() => readSettings(() => undefined)).toThrow(ConfigError);
  });

  test('a webhook URL in the notify settings is refused: it belongs in Secrets Manager', () => {
    const error = configErrorOf(() => settingsFrom({ notify: { webhookUrl: 'https://hooks.slack.com/x' } }));
    expect(error.message).toContain('webhookUrl does not belong in configuration');
  });

  test.each([
    [{ fleetMode: 'lambda' }, 'fleetMode must be one of single, stepfunctions'],
    [{ memorySize: 64 }, 'memorySize must be an integer from 128 to 10240'],
    [{ timeoutMinutes: 16 }, 'timeoutMinutes must be an integer from 1 to 15'],
    // The handler refuses a link that lives less than a minute: the synth must too.
    [{ linkExpirySeconds: 30 }, 'linkExpirySeconds must be an integer from 60 to 604800'],
    [{ linkExpirySeconds: 604_801 }, 'linkExpirySeconds must be an integer from 60 to 604800'],
    [{ logRetentionDays: 100 }, 'logRetentionDays must be one of'],
    [{ objectLockMode: 'LEGAL_HOLD' }, 'objectLockMode must be one of GOVERNANCE, COMPLIANCE'],
    [{ transitionDays: 7 }, 'transitionDays must be an integer from 30'],
    [{ transitionStorageClass: 'DEEP_ARCHIVE' }, 'transitionStorageClass must be one of'],
    [{ schedule: '0 3 * * *' }, 'schedule is not valid'],
    [{ scheduleTimezone: 'Mars/Olympus' }, 'scheduleTimezone is not a time zone'],
    [{ reportPrefix: '/audits' }, 'reportPrefix is not valid'],
    [{ webhookSecret: 'https://hooks.slack.com/x' }, 'webhookSecret must be'],
    [{ secretsKmsKeyArns: ['alias/aws/ssm'] }, 'secretsKmsKeyArns must be a list'],
    [{ alarmTopicArn: 'ops' }, 'alarmTopicArn must be an SNS topic ARN'],
    [
      { fleetToleratedFailurePercentage: 101 },
      'fleetToleratedFailurePercentage must be an integer from 0 to 100',
    ],
    [{ vpc: { vpcId: 'vpc-1' } }, 'vpc.vpcId must be a VPC id'],
    [
      {
        vpc: {
          vpcId: 'vpc-0123456789abcdef0',
          privateSubnetIds: [
            'subnet-0123456789abcdef0',
            'subnet-0123456789abcdef1',
            'subnet-0123456789abcdef2',
          ],
          availabilityZones: ['eu-west-1a', 'eu-west-1b'],
        },
      },
      'the same number of subnets in each',
    ],
    [{ clusters: '[{"name": ' }, 'not valid JSON'],
    [{ reservedConcurrency: 0 }, 'reservedConcurrency must be an integer from 1 to 1000'],
    [{ sourceMaps: 'yes' }, 'sourceMaps must be true or false'],
    [{ snsTopicKeyArn: 'alias/aws/sns' }, 'snsTopicKeyArn must be a KMS key ARN'],
    [
      { snsTopicKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
      'snsTopicKeyArn is set, but notify.snsTopicArn is not',
    ],
    [{ linkSigningSecretArn: 'link-signer' }, 'linkSigningSecretArn must be a Secrets Manager secret ARN'],
  ])('refuses %j', (context, message) => {
    expect(configErrorOf(() => settingsFrom(context)).message).toContain(message);
  });

  test('transitions to Glacier Instant Retrieval may start before 30 days', () => {
    const settings = settingsFrom({ transitionStorageClass: 'GLACIER_IR', transitionDays: 7 });
    expect(settings.evidence.transitionDays).toBe(7);
  });

  test('the webhook secret is created, imported or left out', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat-AbCdEf';
    expect(settingsFrom({ webhookSecret: arn }).webhookSecret).toEqual({ kind: 'import', arn });
    expect(settingsFrom({ webhookSecret: 'none' }).webhookSecret).toEqual({ kind: 'none' });
  });

  test('a prefix always ends in one slash', () => {
    expect(settingsFrom({ reportPrefix: 'evidence/dockershim' }).evidence.prefix).toBe(
      'evidence/dockershim/',
    );
  });

  test("a misspelt setting is named; CDK's own context keys pass", () => {
    const keys = [
      'fleetmode',
      'clusters',
      'memorySize',
      '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy',
      'aws:cdk:bundling-stacks',
      'cli-telemetry',
      'availability-zones:account=123456789012:region=eu-west-1',
    ];
    expect(unknownContextKeys(keys)).toEqual(['fleetmode']);
  });

  test('every default is one the settings accept', () => {
    const context: Record<string, unknown> = { ...DEFAULTS };
    expect(() => settingsFrom(context)).not.toThrow();
  });
});

describe('the settings, declared once', () => {
  // Standard-IA narrows transitionDays to 30 and more; the declared range holds for the others.
  const base = { transitionStorageClass: 'GLACIER_IR' };
  const read = (context: Record<string, unknown>) => JSON.stringify(settingsFrom({ ...base, ...context }));

  const declared: Readonly<Record<string, SettingDeclaration>> = SETTINGS;
  const entries = Object.entries(declared);

  test.each(entries.filter(([, declaration]) => declaration.range !== undefined))(
    '%s: absent is its declared default; its bounds are read, one past them refused',
    (key, declaration) => {
      if (declaration.default !== undefined) expect(read({})).toBe(read({ [key]: declaration.default }));
      const { min, max } = declaration.range as { min: number; max: number };
      expect(read({ [key]: min })).not.toBe(read({ [key]: max }));
      expect(() => read({ [key]: min - 1 })).toThrow(ConfigError);
      expect(() => read({ [key]: max + 1 })).toThrow(ConfigError);
    },
  );

  test.each(entries.filter(([, declaration]) => declaration.values !== undefined))(
    '%s: each declared value is read, another refused',
    (key, declaration) => {
      const values = declaration.values ?? [];
      expect(new Set(values.map((value) => read({ [key]: value }))).size).toBe(values.length);
      expect(() => read({ [key]: 'nonsense' })).toThrow(ConfigError);
    },
  );

  test.each(entries.filter(([, declaration]) => declaration.type === 'boolean'))(
    '%s: absent is its declared default, and the other value is read',
    (key, declaration) => {
      expect(read({})).toBe(read({ [key]: declaration.default }));
      expect(read({ [key]: true })).not.toBe(read({ [key]: false }));
    },
  );

  test('every key of the context is declared, and nothing else is read', () => {
    expect(unknownContextKeys(Object.keys(SETTINGS))).toEqual([]);
    expect(unknownContextKeys(['notDeclared'])).toEqual(['notDeclared']);
  });
});

describe('cdk.json', () => {
  test("holds only settings the app knows (besides CDK's own)", () => {
    expect(unknownContextKeys(Object.keys(cdkJsonContext()))).toEqual([]);
  });
});
