import {
  DEFAULT_CLUSTER_CONCURRENCY,
  DEFAULT_CLUSTER_TIMEOUT_SECONDS,
  MAX_CLUSTER_CONCURRENCY,
  MAX_CLUSTER_TIMEOUT_SECONDS,
  RESPONSE_LIMIT_MB,
} from '../defaults.ts';
import { isRecord } from '../kube/objects.ts';
import { type PolicyConfig, parsePolicyConfig } from './audit-config.ts';
import { ConfigError } from './errors.ts';
import { DEFAULT_NOTIFY_OPTIONS, type NotifyOptions, parseNotifyConfig } from './notify-options.ts';
import type { SettingDeclaration } from './setting-declaration.ts';

/**
 * The Lambda's configuration, one JSON document (an environment variable or an SSM
 * parameter). Validated before anything is read or written, with errors that name the field.
 */
export type ClusterEntry =
  | { name: string; type: 'eks'; clusterName: string; region: string; roleArn?: string }
  | { name: string; type: 'kubeconfig'; secretArn: string; context?: string }
  | { name: string; type: 'kubeconfig'; parameterName: string; context?: string };

/** Each setting's default, range and meaning: SERVICE_SETTINGS. */
export interface AuditServiceConfig {
  clusters: ClusterEntry[];
  clusterConcurrency: number;
  clusterTimeoutSeconds: number;
  readKubeletConfig: boolean;
  maxResponseMegabytes: number;
  notify?: NotifyOptions;
  policy?: PolicyConfig;
}

/**
 * Every setting of the document, declared once: the parser below takes defaults and ranges
 * from here, and the docs' configuration reference is made from it. A compile error here when
 * AuditServiceConfig gains a setting.
 */
export const SERVICE_SETTINGS = {
  clusters: {
    type: 'list',
    required: true,
    meaning:
      'the clusters to audit: `{"name", "type": "eks", "clusterName", "region", "roleArn"?}` or `{"name", "type": "kubeconfig", "secretArn" \\| "parameterName", "context"?}`',
  },
  clusterConcurrency: {
    type: 'integer',
    default: DEFAULT_CLUSTER_CONCURRENCY,
    range: { min: 1, max: MAX_CLUSTER_CONCURRENCY },
    meaning: 'clusters read at once in one run',
  },
  clusterTimeoutSeconds: {
    type: 'integer',
    default: DEFAULT_CLUSTER_TIMEOUT_SECONDS,
    range: { min: 10, max: MAX_CLUSTER_TIMEOUT_SECONDS },
    meaning: 'deadline per cluster, in seconds; what is not read by then makes the cluster partial',
  },
  readKubeletConfig: {
    type: 'boolean',
    default: false,
    meaning:
      "also read each kubelet's configz (needs `nodes/proxy`, a powerful permission: see [cluster access](cluster-access.md#--kubelet-config-and-nodesproxy))",
  },
  maxResponseMegabytes: {
    type: 'integer',
    default: RESPONSE_LIMIT_MB.default,
    range: { min: RESPONSE_LIMIT_MB.min, max: RESPONSE_LIMIT_MB.max },
    meaning:
      'the largest API answer read, MiB after gzip; a larger one fails its list and makes the cluster partial',
  },
  notify: {
    type: 'object',
    defaultText: `\`{"notify": "${DEFAULT_NOTIFY_OPTIONS.when}"}\``,
    meaning:
      '`{"notify": "changes" \\| "always" \\| "never", "webhookFormat"?: "slack" \\| "teams" \\| "generic", "snsTopicArn"?}`; the URL and key live in the webhook secret (see [notifications](notifications.md))',
  },
  policy: {
    type: 'object',
    meaning:
      "the policy file's content (`rules`, `exemptions`, `agents`, `plan`) as JSON (see [the policy file](policy.md))",
  },
} as const satisfies Record<keyof AuditServiceConfig, SettingDeclaration>;

const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
export const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
const PARAMETER_NAME = /^[\w./-]+$/;
const TOP_LEVEL = Object.keys(SERVICE_SETTINGS);

export function parseAuditServiceConfig(input: unknown, origin: string): AuditServiceConfig {
  const document = typeof input === 'string' ? parseJson(input, origin) : input;
  if (!isRecord(document)) throw new ConfigError(origin, 'the configuration must be a JSON object');
  const unknown = Object.keys(document).filter((key) => !TOP_LEVEL.includes(key));
  if (unknown.length > 0)
    throw new ConfigError(
      origin,
      `unknown setting ${unknown.join(', ')}`,
      `Known settings: ${TOP_LEVEL.join(', ')}.`,
    );
  if (!Array.isArray(document.clusters) || document.clusters.length === 0) {
    throw new ConfigError(
      origin,
      'clusters must be a non-empty list',
      'Add at least one cluster entry of type "eks" or "kubeconfig".',
    );
  }
  const clusters = document.clusters.map((entry, index) => parseCluster(entry, `clusters[${index}]`, origin));
  const seen = new Set<string>();
  for (const cluster of clusters) {
    if (seen.has(cluster.name))
      throw new ConfigError(
        origin,
        `two clusters are named "${cluster.name}"`,
        'Names identify clusters in reports and finding ids; make them unique.',
      );
    seen.add(cluster.name);
  }
  const config: AuditServiceConfig = {
    clusters,
    clusterConcurrency: declaredInteger(document, 'clusterConcurrency', origin),
    clusterTimeoutSeconds: declaredInteger(document, 'clusterTimeoutSeconds', origin),
    readKubeletConfig: boolean(
      document.readKubeletConfig,
      'readKubeletConfig',
      origin,
      SERVICE_SETTINGS.readKubeletConfig.default,
    ),
    maxResponseMegabytes: declaredInteger(document, 'maxResponseMegabytes', origin),
  };
  if (document.notify !== undefined) config.notify = parseNotifyConfig(document.notify, `${origin} notify`);
  if (document.policy !== undefined) config.policy = parsePolicyConfig(document.policy, `${origin} policy`);
  return config;
}

function parseCluster(entry: unknown, where: string, origin: string): ClusterEntry {
  if (!isRecord(entry)) throw new ConfigError(origin, `${where} must be an object`);
  const text = (key: string, pattern: RegExp, required: boolean, hint?: string): string | undefined => {
    const value = entry[key];
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'string' || !pattern.test(value)) {
      throw new ConfigError(
        origin,
        `${where}.${key} ${value === undefined ? 'is required' : `is not valid: ${JSON.stringify(value)}`}`,
        hint,
      );
    }
    return value;
  };
  const name = text(
    'name',
    CLUSTER_NAME,
    true,
    'Letters, digits, ".", "_" and "-", at most 63 characters.',
  ) as string;
  const allowed = (keys: string[]) => {
    const extra = Object.keys(entry).filter((key) => !keys.includes(key));
    if (extra.length > 0)
      throw new ConfigError(origin, `${where} (${name}): unknown field ${extra.join(', ')}`);
  };
  if (entry.type === 'eks') {
    allowed(['name', 'type', 'clusterName', 'region', 'roleArn']);
    const cluster: ClusterEntry = {
      name,
      type: 'eks',
      clusterName: text('clusterName', /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, true) as string,
      region: text('region', REGION, true, 'An AWS region such as eu-west-1.') as string,
    };
    const roleArn = text('roleArn', ROLE_ARN, false, 'An IAM role ARN: arn:aws:iam::123456789012:role/name.');
    if (roleArn) cluster.roleArn = roleArn;
    return cluster;
  }
  if (entry.type === 'kubeconfig') {
    allowed(['name', 'type', 'secretArn', 'parameterName', 'context']);
    const hasSecret = entry.secretArn !== undefined;
    const hasParameter = entry.parameterName !== undefined;
    if (hasSecret === hasParameter) {
      throw new ConfigError(origin, `${where} (${name}) needs exactly one of secretArn and parameterName`);
    }
    const context = text('context', /^.+$/, false);
    const base = hasSecret
      ? {
          name,
          type: 'kubeconfig' as const,
          secretArn: text('secretArn', SECRET_ARN, true, 'A Secrets Manager secret ARN.') as string,
        }
      : {
          name,
          type: 'kubeconfig' as const,
          parameterName: text('parameterName', PARAMETER_NAME, true) as string,
        };
    return context === undefined ? base : { ...base, context };
  }
  throw new ConfigError(origin, `${where} (${name}).type must be "eks" or "kubeconfig"`);
}

function parseJson(text: string, origin: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(origin, `not valid JSON: ${(error as Error).message}`);
  }
}

/** An integer setting, with the default and range its declaration gives. */
function declaredInteger(
  document: Record<string, unknown>,
  key: 'clusterConcurrency' | 'clusterTimeoutSeconds' | 'maxResponseMegabytes',
  origin: string,
): number {
  const { default: fallback, range } = SERVICE_SETTINGS[key];
  return integer(document[key], key, origin, fallback, range.min, range.max);
}

export function integer(
  value: unknown,
  key: string,
  origin: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(origin, `${key} must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function boolean(value: unknown, key: string, origin: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ConfigError(origin, `${key} must be true or false`);
  return value;
}
