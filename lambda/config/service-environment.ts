import { MAX_LINK_SECONDS, MIN_LINK_SECONDS } from '../defaults.ts';
import { describeError } from '../errors.ts';
import { isRecord } from '../kube/objects.ts';
import { ConfigError } from './errors.ts';
import { type AuditServiceConfig, parseAuditServiceConfig } from './lambda-config.ts';
import { DEFAULT_NOTIFY_OPTIONS, type NotifySecrets, resolveNotifySettings } from './notify-options.ts';
import type { NotifySettings } from './notify-settings.ts';
import { readStoredText } from './stored-text.ts';

/**
 * The Lambda's environment, as the CDK stack sets it. Read through these names only, with
 * an error that says which variable is wrong.
 */
export const ServiceEnv = {
  /** SSM parameter holding the configuration document (what the stack sets). */
  configParameter: 'DOCKERSHIM_AUDIT_CONFIG_PARAMETER',
  /** The configuration document itself (tests, small setups). */
  config: 'DOCKERSHIM_AUDIT_CONFIG',
  bucket: 'DOCKERSHIM_AUDIT_BUCKET',
  /** Fleet mode: the bucket (without Object Lock) where per-cluster results wait for the aggregate. */
  stagingBucket: 'DOCKERSHIM_AUDIT_STAGING_BUCKET',
  prefix: 'DOCKERSHIM_AUDIT_PREFIX',
  kmsKeyId: 'DOCKERSHIM_AUDIT_KMS_KEY_ID',
  /** Secrets Manager secret: JSON `{ "url": "...", "signingSecret": "..." }`. */
  webhookSecretArn: 'DOCKERSHIM_AUDIT_WEBHOOK_SECRET_ARN',
  linkExpirySeconds: 'DOCKERSHIM_AUDIT_LINK_EXPIRY_SECONDS',
  /** Secrets Manager secret: JSON `{ "accessKeyId": "...", "secretAccessKey": "..." }` that signs report links. */
  linkSigningSecretArn: 'DOCKERSHIM_AUDIT_LINK_SIGNING_SECRET_ARN',
} as const;

export interface ServiceEnvironment {
  config: { parameterName: string } | { json: string };
  bucket: string;
  stagingBucket?: string;
  /** Key prefix without leading or trailing `/`. */
  prefix: string;
  kmsKeyId?: string;
  webhookSecretArn?: string;
  linkExpirySeconds: number;
  linkSigningSecretArn?: string;
}

const ORIGIN = 'Lambda environment';

export function readServiceEnvironment(env: NodeJS.ProcessEnv): ServiceEnvironment {
  const value = (name: string) => {
    const text = env[name]?.trim();
    return text === undefined || text === '' ? undefined : text;
  };
  const parameterName = value(ServiceEnv.configParameter);
  const json = value(ServiceEnv.config);
  if (!parameterName && !json) {
    throw new ConfigError(
      ORIGIN,
      `neither ${ServiceEnv.configParameter} nor ${ServiceEnv.config} is set`,
      'The CDK stack sets the parameter name; deploy it, or set the document for a local run.',
    );
  }
  const bucket = value(ServiceEnv.bucket);
  if (!bucket)
    throw new ConfigError(
      ORIGIN,
      `${ServiceEnv.bucket} is not set`,
      'Reports are kept in S3: the stack creates the evidence bucket.',
    );
  const expiry = value(ServiceEnv.linkExpirySeconds);
  const linkExpirySeconds = expiry === undefined ? MAX_LINK_SECONDS : Number(expiry);
  if (
    !Number.isInteger(linkExpirySeconds) ||
    linkExpirySeconds < MIN_LINK_SECONDS ||
    linkExpirySeconds > MAX_LINK_SECONDS
  ) {
    throw new ConfigError(
      ORIGIN,
      `${ServiceEnv.linkExpirySeconds} must be a whole number of seconds from ${MIN_LINK_SECONDS} to ${MAX_LINK_SECONDS}`,
    );
  }
  const environment: ServiceEnvironment = {
    config: parameterName ? { parameterName } : { json: json as string },
    bucket,
    prefix: (value(ServiceEnv.prefix) ?? '').replace(/^\/+|\/+$/g, ''),
    linkExpirySeconds,
  };
  const stagingBucket = value(ServiceEnv.stagingBucket);
  if (stagingBucket) {
    if (stagingBucket === bucket)
      throw new ConfigError(
        ORIGIN,
        `${ServiceEnv.stagingBucket} names the evidence bucket`,
        'Staged results must be removable: the evidence bucket keeps every object under Object Lock.',
      );
    environment.stagingBucket = stagingBucket;
  }
  const kmsKeyId = value(ServiceEnv.kmsKeyId);
  if (kmsKeyId) environment.kmsKeyId = kmsKeyId;
  const webhookSecretArn = value(ServiceEnv.webhookSecretArn);
  if (webhookSecretArn) environment.webhookSecretArn = webhookSecretArn;
  const linkSigningSecretArn = value(ServiceEnv.linkSigningSecretArn);
  if (linkSigningSecretArn) environment.linkSigningSecretArn = linkSigningSecretArn;
  return environment;
}

/** The configuration document, from SSM or the environment, validated. */
export async function loadServiceConfig(environment: ServiceEnvironment): Promise<AuditServiceConfig> {
  if ('json' in environment.config)
    return parseAuditServiceConfig(environment.config.json, ServiceEnv.config);
  const name = environment.config.parameterName;
  let text: string | undefined;
  try {
    text = await readStoredText({ parameterName: name });
  } catch (error) {
    throw new ConfigError(
      `SSM parameter ${name}`,
      `cannot be read: ${describeError(error)}`,
      'The function needs ssm:GetParameter on it.',
    );
  }
  if (!text) throw new ConfigError(`SSM parameter ${name}`, 'is empty');
  return parseAuditServiceConfig(text, `SSM parameter ${name}`);
}

/**
 * Notification settings: when and how from the configuration, the webhook URL and signing key
 * from Secrets Manager. The secret's value is never part of an error message or a log line.
 */
export async function loadNotifySettings(
  config: AuditServiceConfig,
  environment: ServiceEnvironment,
): Promise<NotifySettings> {
  const options = config.notify ?? DEFAULT_NOTIFY_OPTIONS;
  if (!environment.webhookSecretArn) return resolveNotifySettings(options, {}, 'notify');
  const arn = environment.webhookSecretArn;
  const origin = `secret ${arn}`;
  let text: string | undefined;
  try {
    text = await readStoredText({ secretArn: arn });
  } catch (error) {
    throw new ConfigError(
      origin,
      `cannot be read: ${describeError(error)}`,
      'The function needs secretsmanager:GetSecretValue on it.',
    );
  }
  const secrets = webhookSecrets(text, origin);
  // A secret the stack created and nobody filled in yet (no URL) means: no webhook for now,
  // whatever format the configuration asks for.
  const { webhookFormat: _format, ...withoutWebhook } = options;
  return resolveNotifySettings(secrets.webhookUrl ? options : withoutWebhook, secrets, origin);
}

/** The webhook secret's document: `{"url": "...", "signingSecret": "..."}`, empty or `{}` when unset. */
function webhookSecrets(text: string | undefined, origin: string): NotifySecrets {
  if (!text || text.trim() === '' || text.trim() === '{}') return {};
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new ConfigError(
      origin,
      'is not a JSON object',
      'Store {"url": "https://...", "signingSecret": "..."} (signingSecret for generic webhooks).',
    );
  }
  if (
    !isRecord(document) ||
    (document.url !== undefined && typeof document.url !== 'string') ||
    (document.signingSecret !== undefined && typeof document.signingSecret !== 'string')
  ) {
    throw new ConfigError(origin, 'must be {"url": "...", "signingSecret": "..."} with string values');
  }
  return {
    ...(typeof document.url === 'string' && document.url !== '' && { webhookUrl: document.url }),
    ...(typeof document.signingSecret === 'string' &&
      document.signingSecret !== '' && { signingSecret: document.signingSecret }),
  };
}
