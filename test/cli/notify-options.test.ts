import { describe, expect, test } from 'vitest';
import { parseCommandLine, type ScanOptions } from '../../lambda/config/cli-options.ts';
import { ConfigError } from '../../lambda/config/errors.ts';
import {
  inferWebhookFormat,
  notifySettingsFromEnv,
  parseNotifyConfig,
  resolveNotifySettings,
} from '../../lambda/config/notify-options.ts';
import type { WebhookTarget } from '../../lambda/config/notify-settings.ts';
import { UsageError } from '../../lambda/errors.ts';
import { Secret } from '../../lambda/secret.ts';
import { runCli } from '../helpers/run-cli.ts';

const SLACK_URL = 'https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:dockershim-audit';
const KEY = 'k'.repeat(32);

function signingKeyOf(target: WebhookTarget | undefined): string | undefined {
  return target?.format === 'generic' ? target.signingSecret.reveal() : undefined;
}

function scanOptions(args: string[]): ScanOptions {
  const command = parseCommandLine(['scan', ...args]);
  if (command.command !== 'scan') throw new Error(`not a scan: ${command.command}`);
  return command.options;
}

describe('scan flags: --webhook, --webhook-format, --notify, --sns-topic', () => {
  test('all four parse into the scan options; the URL is a Secret from the start', () => {
    const { notify } = scanOptions([
      '--webhook',
      SLACK_URL,
      '--webhook-format',
      'slack',
      '--notify',
      'always',
      '--sns-topic',
      TOPIC,
    ]);
    expect(notify).toMatchObject({ when: 'always', webhookFormat: 'slack', snsTopicArn: TOPIC });
    expect(notify.webhookUrl).toBeInstanceOf(Secret);
    expect(notify.webhookUrl?.reveal()).toBe(SLACK_URL);
    expect(JSON.stringify(notify)).not.toContain('SECRET');
  });

  test('without flags: notify on changes, no target', () => {
    expect(scanOptions([]).notify).toEqual({ when: 'changes' });
  });

  test.each([
    [['--notify', 'sometimes'], '--notify must be one of changes, always, never'],
    [['--webhook-format', 'discord'], '--webhook-format must be one of slack, teams, generic'],
    [['--webhook', 'hooks.slack.com/services/XXXXSECRETXXXX'], '--webhook: is not a valid URL'],
    [
      ['--webhook', 'http://example.com/XXXXSECRETXXXX'],
      '--webhook: must use https (plain http only to localhost)',
    ],
    [
      ['--sns-topic', 'dockershim-audit'],
      '--sns-topic must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)',
    ],
  ])('%j is a usage error that never repeats the URL', (args, message) => {
    const parse = () => scanOptions(args);
    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(message);
    try {
      parse();
    } catch (error) {
      expect(JSON.stringify([String(error), (error as UsageError).hint])).not.toContain('XXXXSECRETXXXX');
    }
  });

  test('plain http is accepted for a receiver on this machine', () => {
    expect(scanOptions(['--webhook', 'http://127.0.0.1:8080/hook']).notify.webhookUrl?.reveal()).toBe(
      'http://127.0.0.1:8080/hook',
    );
    expect(scanOptions(['--webhook', 'http://localhost/hook']).notify.webhookUrl).toBeInstanceOf(Secret);
  });

  test('the real CLI refuses a bad value with exit code 2 and does not print the URL', async () => {
    const run = await runCli(['scan', '--demo', '--webhook', 'http://example.com/XXXXSECRETXXXX', '-q']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--webhook: must use https');
    expect(run.stdout + run.stderr).not.toContain('XXXXSECRETXXXX');
  });

  test('scan --help lists the notification options', async () => {
    const run = await runCli(['scan', '--help']);
    expect(run.stdout).toMatch(
      /--webhook URL[\s\S]*--webhook-format F[\s\S]*--notify WHEN[\s\S]*--sns-topic ARN/,
    );
  });
});

describe('settings from the options and the environment', () => {
  const flags = (args: string[]) => scanOptions(args).notify;

  test('the format comes from the URL when not given: Slack, Teams workflows, else generic', () => {
    expect(inferWebhookFormat(new URL(SLACK_URL))).toBe('slack');
    expect(
      inferWebhookFormat(
        new URL(
          'https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=x',
        ),
      ),
    ).toBe('teams');
    expect(
      inferWebhookFormat(new URL('https://default1234.environment.api.powerplatform.com/powerautomate/x')),
    ).toBe('teams');
    expect(inferWebhookFormat(new URL('https://audit-events.example.com/hook'))).toBe('generic');
  });

  test('the URL and the signing secret come from the environment; a --webhook flag wins', () => {
    const env = {
      DOCKERSHIM_AUDIT_WEBHOOK_URL: 'https://audit-events.example.com/hook',
      DOCKERSHIM_AUDIT_WEBHOOK_SECRET: KEY,
    };
    const fromEnv = notifySettingsFromEnv(flags([]), env);
    expect(fromEnv.webhooks).toHaveLength(1);
    expect(fromEnv.webhooks[0]?.format).toBe('generic');
    expect(fromEnv.webhooks[0]?.url.reveal()).toBe('https://audit-events.example.com/hook');
    expect(signingKeyOf(fromEnv.webhooks[0])).toBe(KEY);
    const fromFlag = notifySettingsFromEnv(flags(['--webhook', SLACK_URL]), env);
    expect(fromFlag.webhooks[0]).toMatchObject({ format: 'slack' });
    expect(signingKeyOf(fromFlag.webhooks[0])).toBeUndefined();
    expect(JSON.stringify(fromFlag)).not.toContain(KEY);
  });

  test('nothing configured: settings with no target', () => {
    expect(notifySettingsFromEnv(flags(['--notify', 'always']), {})).toEqual({
      when: 'always',
      webhooks: [],
    });
    expect(notifySettingsFromEnv(flags(['--sns-topic', TOPIC]), {})).toEqual({
      when: 'changes',
      webhooks: [],
      email: { topicArn: TOPIC },
    });
  });

  test('a generic webhook without a signing secret, or with a short one, is refused before the run', () => {
    const generic = flags(['--webhook', 'https://audit-events.example.com/hook']);
    expect(() => notifySettingsFromEnv(generic, {})).toThrow(ConfigError);
    expect(() => notifySettingsFromEnv(generic, {})).toThrow('a generic webhook needs a signing secret');
    expect(() => notifySettingsFromEnv(generic, { DOCKERSHIM_AUDIT_WEBHOOK_SECRET: 'short' })).toThrow(
      'shorter than 16 characters',
    );
  });

  test('a format without any URL is refused', () => {
    expect(() => notifySettingsFromEnv(flags(['--webhook-format', 'teams']), {})).toThrow(ConfigError);
  });

  test('secrets resolved elsewhere (Secrets Manager in Lambda) pass straight through as Secrets', () => {
    const settings = resolveNotifySettings(
      { when: 'changes', webhookFormat: 'generic' },
      { webhookUrl: new Secret('https://audit-events.example.com/hook'), signingSecret: KEY },
      'secret dockershim-audit/webhook',
    );
    expect(settings.webhooks[0]).toMatchObject({ format: 'generic', signingSecret: expect.any(Secret) });
    expect(() =>
      resolveNotifySettings(
        { when: 'changes' },
        { webhookUrl: 'http://example.com/XXXXSECRETXXXX' },
        'secret',
      ),
    ).toThrow('secret: the webhook URL must use https');
  });
});

describe('notification settings in a config mapping', () => {
  test('notify, webhookFormat and snsTopicArn are read', () => {
    expect(
      parseNotifyConfig({ notify: 'never', webhookFormat: 'teams', snsTopicArn: TOPIC }, 'event'),
    ).toEqual({
      when: 'never',
      webhookFormat: 'teams',
      snsTopicArn: TOPIC,
    });
  });

  test('a URL or key in configuration is refused and the hint says where it belongs', () => {
    const parse = () => parseNotifyConfig({ webhookUrl: SLACK_URL }, 'config.yaml');
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow('config.yaml: webhookUrl does not belong in configuration');
  });

  test('unknown settings and bad values are refused', () => {
    expect(() => parseNotifyConfig({ channel: '#audit' }, 'c')).toThrow('unknown setting channel');
    expect(() => parseNotifyConfig({ notify: 'daily' }, 'c')).toThrow(ConfigError);
    expect(() => parseNotifyConfig('slack', 'c')).toThrow(ConfigError);
  });
});
