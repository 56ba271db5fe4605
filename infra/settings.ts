import { ConfigError } from '../lambda/config/errors.ts';
import {
  boolean,
  type ClusterEntry,
  integer,
  parseAuditServiceConfig,
  SECRET_ARN,
  SERVICE_SETTINGS,
} from '../lambda/config/lambda-config.ts';
import { defaultsOf, type SettingDeclaration } from '../lambda/config/setting-declaration.ts';
import { MAX_LINK_SECONDS, MIN_LINK_SECONDS } from '../lambda/defaults.ts';
import { isRecord } from '../lambda/kube/objects.ts';

/**
 * Every deployment setting comes from CDK context: cdk.json's `context`, or `-c key=value` on
 * the command line. This module turns it into typed settings with defaults, and refuses a bad
 * value at synth time with the same errors the handler would give at run time.
 */
export type ContextReader = (key: string) => unknown;

export const ORIGIN = 'cdk.json context';

export const FLEET_MODES = ['single', 'stepfunctions'] as const;
export type FleetMode = (typeof FLEET_MODES)[number];

export const OBJECT_LOCK_MODES = ['GOVERNANCE', 'COMPLIANCE'] as const;
export type ObjectLockMode = (typeof OBJECT_LOCK_MODES)[number];

/**
 * Storage classes that keep objects readable at once: presigned report links and `verify` must
 * keep working on old runs, which Glacier Flexible Retrieval and Deep Archive would break.
 */
export const TRANSITION_STORAGE_CLASSES = ['STANDARD_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR'] as const;
export type TransitionStorageClass = (typeof TRANSITION_STORAGE_CLASSES)[number];

/** The values CloudWatch Logs accepts as a retention period. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** The Kubernetes group that deploy/rbac.yaml binds to the read-only ClusterRole. */
export const READER_GROUP = 'dockershim-audit:readers';

/**
 * The deployment's own settings, declared once: SettingReader takes each default, range and
 * list of values from here, and docs/deploy-and-configuration.md's reference is made from it
 * with the service settings (npm run docs).
 */
export const DEPLOYMENT_SETTINGS = {
  stackName: {
    type: 'string',
    default: 'DockershimAudit',
    meaning: 'the CloudFormation stack',
  },
  schedule: {
    type: 'string',
    default: 'cron(0 3 * * ? *)',
    meaning: 'an EventBridge Scheduler expression (`cron(...)` or `rate(...)`)',
  },
  scheduleTimezone: {
    type: 'string',
    default: 'UTC',
    meaning: 'the time zone of the cron expression (`Europe/Berlin`)',
  },
  memorySize: {
    type: 'integer',
    default: 1024,
    range: { min: 128, max: 10_240 },
    meaning: "the function's memory, MB",
  },
  timeoutMinutes: {
    type: 'integer',
    default: 15,
    range: { min: 1, max: 15 },
    meaning: "the function's timeout (the handler stores what it has before it)",
  },
  logRetentionDays: {
    type: 'integer',
    default: 365,
    values: LOG_RETENTION_DAYS,
    meaning:
      'CloudWatch Logs retention of the function and the state machine, and how long S3 access logs are kept',
  },
  reportPrefix: {
    type: 'string',
    default: 'audits/',
    meaning: 'key prefix of everything the function writes in the bucket',
  },
  linkExpirySeconds: {
    type: 'integer',
    default: MAX_LINK_SECONDS,
    range: { min: MIN_LINK_SECONDS, max: MAX_LINK_SECONDS },
    meaning:
      "lifetime of the presigned report link in notifications, at most 7 days; a link signed with the function's role stops working when its session ends, within hours, and the message says so: see [Report links](reports-and-evidence.md#report-links)",
  },
  linkSigningSecretArn: {
    type: 'string',
    meaning:
      'a Secrets Manager secret holding `{"accessKeyId", "secretAccessKey"}` of an IAM user that may only read the reports: links signed with it last `linkExpirySeconds` (see [Report links](reports-and-evidence.md#report-links))',
  },
  objectLockMode: {
    type: 'string',
    default: 'GOVERNANCE',
    values: OBJECT_LOCK_MODES,
    meaning:
      "the evidence bucket's Object Lock mode (see [the evidence bucket](#what-the-stack-holds-and-why))",
  },
  objectLockDays: {
    type: 'integer',
    default: 365,
    range: { min: 1, max: 36_500 },
    meaning: 'default retention of every object version',
  },
  transitionStorageClass: {
    type: 'string',
    default: 'STANDARD_IA',
    values: TRANSITION_STORAGE_CLASSES,
    meaning:
      'where runs move after `transitionDays`: only classes that stay readable at once, so old report links and `verify` keep working',
  },
  transitionDays: {
    type: 'integer',
    default: 30,
    range: { min: 1, max: 3650 },
    meaning: 'age at which runs move there (Standard-IA: at least 30)',
  },
  stagingExpirationDays: {
    type: 'integer',
    default: 3,
    range: { min: 1, max: 365 },
    meaning:
      'fleet mode: age at which per-cluster results expire in the staging bucket when no aggregate removed them (a failed execution)',
  },
  webhookSecret: {
    type: 'string',
    default: 'create',
    meaning: '`create`, `none`, or the ARN of an existing secret holding `{"url", "signingSecret"?}`',
  },
  secretsKmsKeyArns: {
    type: 'list',
    default: [],
    meaning: 'customer-managed KMS keys that encrypt kubeconfig secrets or SecureString parameters',
  },
  alarmTopicArn: { type: 'string', meaning: 'an SNS topic every alarm notifies' },
  vpc: {
    type: 'object',
    meaning:
      '`{"vpcId", "privateSubnetIds", "availabilityZones", "egressPorts"?: [443]}`: run the function in these private subnets (one per zone, in the zones\' order), for private API endpoints; its security group lets out only TCP to `egressPorts`. The subnets need a NAT gateway or VPC endpoints for S3, SSM, Secrets Manager, STS, EKS, KMS and SNS',
  },
  createAccessEntries: {
    type: 'boolean',
    default: false,
    meaning: "create EKS access entries for the listed same-account clusters in the stack's region",
  },
  fleetMode: {
    type: 'string',
    default: 'single',
    values: FLEET_MODES,
    meaning: '`stepfunctions`: see [Fleet mode](#fleet-mode)',
  },
  fleetMaxConcurrency: {
    type: 'integer',
    default: 10,
    range: { min: 1, max: 1000 },
    meaning: 'fleet mode: clusters audited at once',
  },
  fleetToleratedFailurePercentage: {
    type: 'integer',
    default: 100,
    range: { min: 0, max: 100 },
    meaning:
      'fleet mode: share of per-cluster invocations that may fail before the execution fails; at 100 the aggregate step always runs and reports the clusters whose audit crashed as failed',
  },
  tracing: {
    type: 'boolean',
    default: false,
    meaning: 'X-Ray tracing of the function and the state machine',
  },
  sourceMaps: {
    type: 'boolean',
    default: false,
    meaning:
      'ship the source map and run with `--enable-source-maps`: stack traces name the sources, at a cost in start time and memory',
  },
  reservedConcurrency: {
    type: 'integer',
    range: { min: 1, max: 1000 },
    meaning: "the function's reserved concurrency; none is reserved unless set",
  },
  snsTopicKeyArn: {
    type: 'string',
    meaning:
      'the KMS key of an encrypted `notify.snsTopicArn` topic: the function gets `kms:GenerateDataKey*` and `kms:Decrypt` on it, which publishing needs',
  },
} as const satisfies Record<string, SettingDeclaration>;

/** Every context key the app reads: the handler's service settings, then the deployment's. */
export const SETTINGS = { ...SERVICE_SETTINGS, ...DEPLOYMENT_SETTINGS } as const;

/** The default of every setting that has one. */
export const DEFAULTS = defaultsOf(SETTINGS);

export const CONTEXT_KEYS = Object.keys(SETTINGS) as ReadonlyArray<keyof typeof SETTINGS>;

/** The document the handler reads from the SSM parameter named by DOCKERSHIM_AUDIT_CONFIG_PARAMETER. */
export interface ServiceConfigDocument {
  clusters: ClusterEntry[];
  clusterConcurrency: number;
  clusterTimeoutSeconds: number;
  readKubeletConfig: boolean;
  maxResponseMegabytes: number;
  notify?: Record<string, unknown>;
  policy?: Record<string, unknown>;
}

export interface VpcPlacement {
  vpcId: string;
  privateSubnetIds: string[];
  availabilityZones: string[];
  /** TCP ports the function may connect to: API servers (443 on EKS, often 6443 elsewhere) and AWS endpoints. */
  egressPorts: number[];
}

export type WebhookSecretSetting = { kind: 'create' } | { kind: 'import'; arn: string } | { kind: 'none' };

export interface DeploymentSettings {
  stackName: string;
  service: ServiceConfigDocument;
  schedule: { expression: string; timeZone: string };
  memorySize: number;
  timeoutMinutes: number;
  logRetentionDays: number;
  evidence: {
    /** Key prefix of every object the function writes, ending in `/`. */
    prefix: string;
    linkExpirySeconds: number;
    objectLockMode: ObjectLockMode;
    objectLockDays: number;
    transitionDays: number;
    transitionStorageClass: TransitionStorageClass;
    stagingExpirationDays: number;
  };
  webhookSecret: WebhookSecretSetting;
  /** Customer-managed keys that encrypt kubeconfig secrets or SecureString parameters. */
  secretsKmsKeyArns: string[];
  alarmTopicArn?: string;
  vpc?: VpcPlacement;
  createAccessEntries: boolean;
  fleet: { mode: FleetMode; maxConcurrency: number; toleratedFailurePercentage: number };
  tracing: boolean;
  /** Source maps in the bundle and `--enable-source-maps`: readable stacks, at a cost in start time and memory. */
  sourceMaps: boolean;
  /** ReservedConcurrentExecutions; none unless set (accounts with a low concurrency quota cannot reserve any). */
  reservedConcurrency?: number;
  /** The KMS key of an encrypted SNS topic (notify.snsTopicArn): publishing needs kms:GenerateDataKey* and kms:Decrypt on it. */
  snsTopicKeyArn?: string;
  /** A secret with an IAM user's access key that signs report links, so that they last the week linkExpirySeconds allows. */
  linkSigningSecretArn?: string;
}

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/;
const SCHEDULE = /^(cron|rate)\(.+\)$/;
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const PREFIX = /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/?$/;

export function readSettings(read: ContextReader): DeploymentSettings {
  const value = (key: string): unknown => coerce(read(key));
  const settings = new SettingReader(value);

  const service = serviceConfig(value);
  const transitionStorageClass = settings.oneOf('transitionStorageClass');
  // S3 refuses Standard-IA transitions before an object is 30 days old.
  const transitionDays = settings.integer(
    'transitionDays',
    transitionStorageClass === 'STANDARD_IA' ? 30 : 1,
  );
  const fleetMode = settings.oneOf('fleetMode');
  const result: DeploymentSettings = {
    stackName: settings.text('stackName', STACK_NAME, 'Letters, digits and "-", starting with a letter.'),
    service,
    schedule: {
      expression: settings.text(
        'schedule',
        SCHEDULE,
        'An EventBridge Scheduler expression: cron(0 3 * * ? *).',
      ),
      timeZone: settings.timeZone('scheduleTimezone'),
    },
    memorySize: settings.integer('memorySize'),
    timeoutMinutes: settings.integer('timeoutMinutes'),
    logRetentionDays: settings.member('logRetentionDays'),
    evidence: {
      prefix: normalisePrefix(settings.text('reportPrefix', PREFIX, 'A key prefix such as audits/.')),
      linkExpirySeconds: settings.integer('linkExpirySeconds'),
      objectLockMode: settings.oneOf('objectLockMode'),
      objectLockDays: settings.integer('objectLockDays'),
      transitionDays,
      transitionStorageClass,
      stagingExpirationDays: settings.integer('stagingExpirationDays'),
    },
    webhookSecret: webhookSecret(value('webhookSecret') ?? DEFAULTS.webhookSecret),
    secretsKmsKeyArns: settings.list('secretsKmsKeyArns', KMS_KEY_ARN, 'A KMS key ARN.'),
    createAccessEntries: settings.boolean('createAccessEntries'),
    fleet: {
      mode: fleetMode,
      maxConcurrency: settings.integer('fleetMaxConcurrency'),
      toleratedFailurePercentage: settings.integer('fleetToleratedFailurePercentage'),
    },
    tracing: settings.boolean('tracing'),
    sourceMaps: settings.boolean('sourceMaps'),
  };
  const reservedConcurrency = value('reservedConcurrency');
  if (reservedConcurrency !== undefined)
    result.reservedConcurrency = integer(
      reservedConcurrency,
      'reservedConcurrency',
      ORIGIN,
      0,
      DEPLOYMENT_SETTINGS.reservedConcurrency.range.min,
      DEPLOYMENT_SETTINGS.reservedConcurrency.range.max,
    );
  const snsTopicKeyArn = settings.optional('snsTopicKeyArn', KMS_KEY_ARN, 'a KMS key ARN');
  if (snsTopicKeyArn !== undefined) {
    if (typeof service.notify?.snsTopicArn !== 'string')
      throw new ConfigError(
        ORIGIN,
        'snsTopicKeyArn is set, but notify.snsTopicArn is not',
        'Name the encrypted topic in notify.snsTopicArn, or remove snsTopicKeyArn.',
      );
    result.snsTopicKeyArn = snsTopicKeyArn;
  }
  const linkSigningSecretArn = settings.optional(
    'linkSigningSecretArn',
    SECRET_ARN,
    'a Secrets Manager secret ARN',
    'The secret holds {"accessKeyId": "...", "secretAccessKey": "..."} of an IAM user that may only read the reports.',
  );
  if (linkSigningSecretArn !== undefined) result.linkSigningSecretArn = linkSigningSecretArn;
  const alarmTopicArn = settings.optional('alarmTopicArn', TOPIC_ARN, 'an SNS topic ARN');
  if (alarmTopicArn !== undefined) result.alarmTopicArn = alarmTopicArn;
  const vpc = value('vpc');
  if (vpc !== undefined) result.vpc = vpcPlacement(vpc);
  return result;
}

/**
 * `-c key=value` gives strings; cdk.json gives JSON. Both mean the same: "2048" is a number,
 * "true" a boolean, and a string that starts with `[` or `{` is JSON.
 */
function coerce(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (/^-?\d+$/.test(value)) return Number(value);
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\s*[[{]/.test(value)) {
    try {
      return JSON.parse(value);
    } catch (error) {
      throw new ConfigError(ORIGIN, `a value is not valid JSON: ${(error as Error).message}`);
    }
  }
  return value;
}

type Declared = typeof DEPLOYMENT_SETTINGS;
/** The deployment settings of a type that have a default. */
type KeyOf<Shape> = { [K in keyof Declared]: Declared[K] extends Shape ? K : never }[keyof Declared];

/** Reads one key with the default, range and values its declaration gives, checking its type. */
class SettingReader {
  readonly #value: (key: string) => unknown;

  constructor(value: (key: string) => unknown) {
    this.#value = value;
  }

  #get(key: keyof typeof DEFAULTS): unknown {
    return this.#value(key) ?? DEFAULTS[key];
  }

  // The handler's own checks and messages; an explicit null in the context means the default.
  /** `min` narrows the declared range where another setting decides (transitionDays). */
  integer(
    key: KeyOf<{ type: 'integer'; default: number; range: { min: number; max: number } }>,
    min?: number,
  ): number {
    const { default: fallback, range } = DEPLOYMENT_SETTINGS[key];
    return integer(this.#value(key) ?? undefined, key, ORIGIN, fallback, min ?? range.min, range.max);
  }

  boolean(key: KeyOf<{ type: 'boolean'; default: boolean }>): boolean {
    return boolean(this.#value(key) ?? undefined, key, ORIGIN, DEPLOYMENT_SETTINGS[key].default);
  }

  /** A key without a default: undefined when it is not set, else text that matches `pattern`. */
  optional(
    key: (typeof CONTEXT_KEYS)[number],
    pattern: RegExp,
    what: string,
    hint?: string,
  ): string | undefined {
    const value = this.#value(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !pattern.test(value))
      throw new ConfigError(ORIGIN, `${key} must be ${what}`, hint);
    return value;
  }

  text(key: keyof typeof DEFAULTS, pattern: RegExp, hint: string): string {
    const value = this.#get(key);
    if (typeof value !== 'string' || !pattern.test(value)) {
      throw new ConfigError(ORIGIN, `${key} is not valid: ${JSON.stringify(value)}`, hint);
    }
    return value;
  }

  oneOf<K extends KeyOf<{ default: string; values: readonly string[] }>>(
    key: K,
  ): Declared[K]['values'][number] {
    const allowed: readonly string[] = DEPLOYMENT_SETTINGS[key].values;
    const value = this.#get(key);
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      throw new ConfigError(ORIGIN, `${key} must be one of ${allowed.join(', ')}`);
    }
    return value as Declared[K]['values'][number];
  }

  member(key: KeyOf<{ default: number; values: readonly number[] }>): number {
    const allowed: readonly number[] = DEPLOYMENT_SETTINGS[key].values;
    const value = this.#get(key);
    if (typeof value !== 'number' || !allowed.includes(value)) {
      throw new ConfigError(ORIGIN, `${key} must be one of ${allowed.join(', ')}`);
    }
    return value;
  }

  list(key: keyof typeof DEFAULTS, pattern: RegExp, hint: string): string[] {
    const value = this.#get(key);
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && pattern.test(item))) {
      throw new ConfigError(ORIGIN, `${key} must be a list`, hint);
    }
    return [...value] as string[];
  }

  timeZone(key: keyof typeof DEFAULTS): string {
    const value = this.#get(key);
    if (typeof value === 'string') {
      try {
        new Intl.DateTimeFormat('en', { timeZone: value });
        return value;
      } catch {
        // Falls through to the error below.
      }
    }
    throw new ConfigError(
      ORIGIN,
      `${key} is not a time zone: ${JSON.stringify(value)}`,
      'An IANA name: UTC, Europe/Berlin.',
    );
  }
}

/**
 * The handler's own parser checks the service settings, so synth refuses what the handler
 * would. The document keeps the operator's words (notify and policy as written), with the
 * defaults of the other settings filled in.
 */
function serviceConfig(value: (key: string) => unknown): ServiceConfigDocument {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(SERVICE_SETTINGS)) if (value(key) !== undefined) raw[key] = value(key);
  const parsed = parseAuditServiceConfig(raw, ORIGIN);
  const document: ServiceConfigDocument = {
    clusters: parsed.clusters,
    clusterConcurrency: parsed.clusterConcurrency,
    clusterTimeoutSeconds: parsed.clusterTimeoutSeconds,
    readKubeletConfig: parsed.readKubeletConfig,
    maxResponseMegabytes: parsed.maxResponseMegabytes,
  };
  if (isRecord(raw.notify)) document.notify = raw.notify;
  if (isRecord(raw.policy)) document.policy = raw.policy;
  return document;
}

function webhookSecret(value: unknown): WebhookSecretSetting {
  if (value === 'create' || value === 'none') return { kind: value };
  if (typeof value === 'string' && SECRET_ARN.test(value)) return { kind: 'import', arn: value };
  throw new ConfigError(
    ORIGIN,
    'webhookSecret must be "create", "none" or a Secrets Manager secret ARN',
    'The secret holds {"url": "https://...", "signingSecret": "..."}.',
  );
}

function vpcPlacement(value: unknown): VpcPlacement {
  if (!isRecord(value)) throw new ConfigError(ORIGIN, 'vpc must be an object');
  const extra = Object.keys(value).filter(
    (key) => !['vpcId', 'privateSubnetIds', 'availabilityZones', 'egressPorts'].includes(key),
  );
  if (extra.length > 0) throw new ConfigError(ORIGIN, `vpc: unknown field ${extra.join(', ')}`);
  const strings = (key: string, pattern: RegExp): string[] => {
    const list = value[key];
    if (
      !Array.isArray(list) ||
      list.length === 0 ||
      !list.every((item) => typeof item === 'string' && pattern.test(item))
    ) {
      throw new ConfigError(ORIGIN, `vpc.${key} must be a non-empty list of ids`);
    }
    return [...list] as string[];
  };
  if (typeof value.vpcId !== 'string' || !/^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/.test(value.vpcId)) {
    throw new ConfigError(ORIGIN, 'vpc.vpcId must be a VPC id (vpc-...)');
  }
  const privateSubnetIds = strings('privateSubnetIds', /^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/);
  const availabilityZones = strings('availabilityZones', /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/);
  // Vpc.fromVpcAttributes pairs subnets with zones in order.
  if (privateSubnetIds.length % availabilityZones.length !== 0) {
    throw new ConfigError(
      ORIGIN,
      'vpc.privateSubnetIds must hold the same number of subnets in each of vpc.availabilityZones',
      'List one subnet per zone, in the order of the zones.',
    );
  }
  const ports = value.egressPorts ?? [443];
  if (
    !Array.isArray(ports) ||
    ports.length === 0 ||
    !ports.every((port) => Number.isInteger(port) && port >= 1 && port <= 65_535)
  ) {
    throw new ConfigError(ORIGIN, 'vpc.egressPorts must be a non-empty list of TCP ports');
  }
  return { vpcId: value.vpcId, privateSubnetIds, availabilityZones, egressPorts: [...ports] as number[] };
}

function normalisePrefix(prefix: string): string {
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/**
 * Context keys that look like ours (plain camelCase) but are not: a typo such as `fleetmode`
 * would otherwise be ignored silently. CDK's own keys (`@aws-cdk/...`, `aws:cdk:...`,
 * `cli-telemetry`, lookups) contain other characters and pass.
 */
export function unknownContextKeys(keys: readonly string[]): string[] {
  const known = new Set<string>(CONTEXT_KEYS);
  return keys.filter((key) => /^[A-Za-z]+$/.test(key) && !known.has(key));
}
