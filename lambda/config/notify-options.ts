import { UsageError } from '../errors.ts';
import { isRecord } from '../kube/objects.ts';
import { Secret } from '../secret.ts';
import { ConfigError } from './errors.ts';
import {
  NOTIFY_WHEN,
  type NotifySettings,
  type NotifyWhen,
  topicRegion,
  WEBHOOK_FORMATS,
  type WebhookFormat,
} from './notify-settings.ts';

/** The CLI reads the webhook's URL and signing secret from these when they are not on the command line. */
export const WEBHOOK_URL_ENV = 'DOCKERSHIM_AUDIT_WEBHOOK_URL';
export const WEBHOOK_SECRET_ENV = 'DOCKERSHIM_AUDIT_WEBHOOK_SECRET';
/** Shorter keys are guessable; GitHub and Stripe issue 32 bytes and more. */
export const MIN_SIGNING_SECRET_LENGTH = 16;

/**
 * What the command line or a config mapping says about notifications, before secrets are
 * resolved. The URL is wrapped as a `Secret` the moment it is read, so options can be logged.
 */
export interface NotifyOptions {
  when: NotifyWhen;
  webhookUrl?: Secret;
  /** Absent: inferred from the URL's host (Slack, Teams workflows), else generic. */
  webhookFormat?: WebhookFormat;
  snsTopicArn?: string;
}

export const DEFAULT_NOTIFY_OPTIONS: NotifyOptions = { when: 'changes' };

/** `--webhook URL --webhook-format F --notify WHEN --sns-topic ARN`, as `parseArgs` gives them. */
export function parseNotifyFlags(values: {
  webhook?: unknown;
  webhookFormat?: unknown;
  notify?: unknown;
  snsTopic?: unknown;
}): NotifyOptions {
  const options = checkedNotifyOptions(
    { when: values.notify, webhookFormat: values.webhookFormat, snsTopicArn: values.snsTopic },
    { when: '--notify', webhookFormat: '--webhook-format', snsTopicArn: '--sns-topic' },
    (message) => new UsageError(message),
  );
  if (values.webhook !== undefined) {
    const problem = typeof values.webhook === 'string' ? webhookUrlProblem(values.webhook) : 'needs a value';
    // The URL is a credential: the message never repeats it.
    if (problem) throw new UsageError(`--webhook: ${problem}`, WEBHOOK_URL_HINT);
    options.webhookUrl = new Secret(values.webhook as string);
  }
  return options;
}

/**
 * Notification settings in a config mapping (a Lambda's configuration, a config file):
 * `{ notify: changes, webhookFormat: slack, snsTopicArn: arn:... }`. URLs and keys are refused
 * here: they belong in Secrets Manager or the environment, not in a file or an event.
 */
export function parseNotifyConfig(input: unknown, origin: string): NotifyOptions {
  if (!isRecord(input)) throw new ConfigError(origin, 'notification settings must be a mapping');
  for (const key of Object.keys(input)) {
    if (key === 'webhookUrl' || key === 'webhookSecret' || key === 'signingSecret') {
      throw new ConfigError(
        origin,
        `${key} does not belong in configuration`,
        `Keep it in Secrets Manager (Lambda) or ${key === 'webhookUrl' ? WEBHOOK_URL_ENV : WEBHOOK_SECRET_ENV} (CLI).`,
      );
    }
    if (!['notify', 'webhookFormat', 'snsTopicArn'].includes(key)) {
      throw new ConfigError(
        origin,
        `unknown setting ${key}`,
        'Known settings: notify, webhookFormat, snsTopicArn.',
      );
    }
  }
  return checkedNotifyOptions(
    { when: input.notify, webhookFormat: input.webhookFormat, snsTopicArn: input.snsTopicArn },
    { when: 'notify', webhookFormat: 'webhookFormat', snsTopicArn: 'snsTopicArn' },
    (message) => new ConfigError(origin, message),
  );
}

/** The checks flags and config share; `names` is how the user spelt each field, `fail` makes the error. */
function checkedNotifyOptions(
  fields: { when: unknown; webhookFormat: unknown; snsTopicArn: unknown },
  names: { when: string; webhookFormat: string; snsTopicArn: string },
  fail: (message: string) => Error,
): NotifyOptions {
  const options: NotifyOptions = { ...DEFAULT_NOTIFY_OPTIONS };
  if (fields.when !== undefined) {
    if (!isOneOf(fields.when, NOTIFY_WHEN))
      throw fail(`${names.when} must be one of ${NOTIFY_WHEN.join(', ')}`);
    options.when = fields.when;
  }
  if (fields.webhookFormat !== undefined) {
    if (!isOneOf(fields.webhookFormat, WEBHOOK_FORMATS))
      throw fail(`${names.webhookFormat} must be one of ${WEBHOOK_FORMATS.join(', ')}`);
    options.webhookFormat = fields.webhookFormat;
  }
  if (fields.snsTopicArn !== undefined) {
    if (typeof fields.snsTopicArn !== 'string' || !isTopicArn(fields.snsTopicArn))
      throw fail(`${names.snsTopicArn} must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)`);
    options.snsTopicArn = fields.snsTopicArn;
  }
  return options;
}

/** Secrets as the caller resolved them: from the environment (CLI) or Secrets Manager (Lambda). */
export interface NotifySecrets {
  webhookUrl?: string | Secret;
  signingSecret?: string | Secret;
}

/**
 * Options plus resolved secrets → the settings `notifyRun` takes. A URL given in the options
 * (`--webhook`) wins over one from the secrets. Refuses what would fail or be unsafe later: a
 * format without a URL, a generic webhook without a signing secret, a short secret.
 */
export function resolveNotifySettings(
  options: NotifyOptions,
  secrets: NotifySecrets,
  origin: string,
): NotifySettings {
  const settings: NotifySettings = { when: options.when, webhooks: [] };
  if (options.snsTopicArn !== undefined) settings.email = { topicArn: options.snsTopicArn };
  const url = options.webhookUrl ?? asSecret(secrets.webhookUrl);
  if (url === undefined) {
    if (options.webhookFormat !== undefined) {
      throw new ConfigError(
        origin,
        `a webhook format (${options.webhookFormat}) is set but no webhook URL`,
        WEBHOOK_URL_HINT,
      );
    }
    return settings;
  }
  const problem = webhookUrlProblem(url.reveal());
  if (problem) throw new ConfigError(origin, `the webhook URL ${problem}`, WEBHOOK_URL_HINT);
  const format = options.webhookFormat ?? inferWebhookFormat(new URL(url.reveal()));
  settings.webhooks = [
    format === 'generic'
      ? { url, format, signingSecret: checkedSigningSecret(secrets.signingSecret, origin) }
      : { url, format },
  ];
  return settings;
}

function checkedSigningSecret(value: string | Secret | undefined, origin: string): Secret {
  const signingSecret = asSecret(value);
  if (signingSecret === undefined) {
    throw new ConfigError(
      origin,
      'a generic webhook needs a signing secret',
      `Set ${WEBHOOK_SECRET_ENV} (Secrets Manager in Lambda); receivers verify X-Signature-256 with it. For Slack or Teams, pass --webhook-format.`,
    );
  }
  if (signingSecret.reveal().length < MIN_SIGNING_SECRET_LENGTH) {
    throw new ConfigError(
      origin,
      `the webhook signing secret is shorter than ${MIN_SIGNING_SECRET_LENGTH} characters`,
      'Generate one with: openssl rand -hex 32',
    );
  }
  return signingSecret;
}

/** The CLI's settings: flags, then `DOCKERSHIM_AUDIT_WEBHOOK_URL` and `DOCKERSHIM_AUDIT_WEBHOOK_SECRET`. */
export function notifySettingsFromEnv(options: NotifyOptions, env: NodeJS.ProcessEnv): NotifySettings {
  const secrets: NotifySecrets = {};
  const url = env[WEBHOOK_URL_ENV];
  if (url !== undefined && url.trim() !== '') secrets.webhookUrl = url.trim();
  const secret = env[WEBHOOK_SECRET_ENV];
  if (secret !== undefined && secret !== '') secrets.signingSecret = secret;
  return resolveNotifySettings(options, secrets, 'notifications');
}

/** Slack's and Teams' webhook hosts; anything else is generic unless the format is given. */
export function inferWebhookFormat(url: URL): WebhookFormat {
  const host = url.hostname.toLowerCase();
  if (host === 'hooks.slack.com') return 'slack';
  if (
    host.endsWith('.logic.azure.com') ||
    host.endsWith('.powerplatform.com') ||
    host.endsWith('.powerautomate.com') ||
    host.endsWith('.webhook.office.com')
  ) {
    return 'teams';
  }
  return 'generic';
}

const WEBHOOK_URL_HINT = `Pass --webhook https://... or set ${WEBHOOK_URL_ENV}; the URL is never printed.`;
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** Why a URL cannot be a webhook, or undefined. https only, except plain http on this machine. */
function webhookUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return 'is not a valid URL';
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK.test(url.hostname)) return undefined;
  return 'must use https (plain http only to localhost)';
}

function isTopicArn(value: string): boolean {
  return (
    /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}(\.fifo)?$/.test(value) &&
    topicRegion(value) !== undefined
  );
}

function isOneOf<T extends string>(value: unknown, allowed: readonly T[]): value is T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value);
}

function asSecret(value: string | Secret | undefined): Secret | undefined {
  if (value === undefined) return undefined;
  return value instanceof Secret ? value : new Secret(value);
}
