import { parseArgs } from 'node:util';
import { MAX_LINK_SECONDS, MIN_LINK_SECONDS, REPORT_FORMATS, type ReportFormat } from '../defaults.ts';
import { UsageError } from '../errors.ts';
import { isSeverity, SEVERITIES, type Severity } from '../rules/severity.ts';
import { isRunId } from '../run-id.ts';
import { OPTION, type OptionDeclaration, parseArgsSpec } from './cli-spec.ts';
import { type NotifyOptions, parseNotifyFlags } from './notify-options.ts';
import { parseStoreLocation, type StoreLocation } from './store-location.ts';

export type ScanSource =
  | { type: 'manifests'; paths: string[]; clusterName: string }
  | { type: 'demo' }
  /** Live clusters: contexts of a kubeconfig (the given file, else $KUBECONFIG or ~/.kube/config). */
  | { type: 'kubeconfig'; path?: string; contexts: string[] | 'all' | 'current' }
  /** No source flag: the current kubeconfig context if there is a kubeconfig, else the demo. */
  | { type: 'default' };

/** How live clusters are read. */
export interface LiveOptions {
  readKubeletConfig: boolean;
  clusterTimeoutSeconds: number;
  concurrency: number;
  /** The largest API answer read, in MiB after gzip. */
  maxResponseMegabytes: number;
}

export interface ScanOptions {
  source: ScanSource;
  live: LiveOptions;
  outDir: string;
  /** Where runs are kept: `--store`, else the `--out` folder (its runs/ keeps the history). */
  store: StoreLocation;
  kmsKeyId?: string;
  linkExpiresInSeconds?: number;
  formats: ReportFormat[];
  configPath?: string;
  failOn?: Severity;
  quiet: boolean;
  /** Where and when to post what changed; secrets are resolved from the environment later. */
  notify: NotifyOptions;
}

export interface VerifyOptions {
  store: StoreLocation;
  quiet: boolean;
}

/** `plan`: the migration plan of the same sources as `scan`, on the terminal; nothing is written or stored. */
export interface PlanOptions {
  source: ScanSource;
  live: LiveOptions;
  configPath?: string;
  format: 'text' | 'json';
  /** Print each pool's runbook too. */
  runbooks: boolean;
  quiet: boolean;
}

export interface RepairOptions {
  store: StoreLocation;
  /** The run latest.json should name, when several runs are the newest of a chain. */
  runId?: string;
}

export type RulesFormat = 'text' | 'json' | 'markdown';

export type CliCommand =
  | { command: 'scan'; options: ScanOptions }
  | { command: 'rules'; format: RulesFormat }
  | { command: 'verify'; options: VerifyOptions }
  | { command: 'repair'; options: RepairOptions }
  | { command: 'plan'; options: PlanOptions }
  | { command: 'help'; topic?: string }
  | { command: 'version' };

export function parseCommandLine(argv: readonly string[]): CliCommand {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help') return { command: 'help' };
  if (first === '--version' || first === '-v' || first === 'version') return { command: 'version' };
  if (first === 'help')
    return rest[0] === undefined ? { command: 'help' } : { command: 'help', topic: rest[0] };
  if (first === 'scan') return parseScan(rest);
  if (first === 'plan') return parsePlan(rest);
  if (first === 'rules') return parseRules(rest);
  if (first === 'verify') return parseVerify(rest);
  if (first === 'repair') return parseRepair(rest);
  throw new UsageError(
    `unknown command "${first}"`,
    'Commands: scan, plan, verify, repair, rules, help. Run "dockershim-audit --help".',
  );
}

type ParsedFlags = ReturnType<typeof parseStrict>['values'];

/** What to read and how: the source flags of scan and plan. */
function sourceOf(
  values: ParsedFlags,
  positionals: readonly string[],
): { source: ScanSource; live: LiveOptions } {
  const manifests = [...((values.manifests as string[] | undefined) ?? [])];
  if (positionals.length > 0) {
    // `--manifests a b c`: the paths after the first arrive as positionals.
    if (manifests.length === 0) {
      throw new UsageError(
        `unexpected argument "${positionals[0]}"`,
        'Name files and folders with --manifests PATH...',
      );
    }
    manifests.push(...positionals);
  }
  const contexts = (values.context as string[] | undefined) ?? [];
  const live = values.kubeconfig !== undefined || contexts.length > 0 || values['all-contexts'] === true;
  const chosen = [
    manifests.length > 0 && '--manifests',
    values.demo && '--demo',
    live && '--kubeconfig/--context',
  ].filter(Boolean);
  if (chosen.length > 1) throw new UsageError(`choose one source: ${chosen.join(' or ')}`);
  if (values['all-contexts'] && contexts.length > 0)
    throw new UsageError('--all-contexts and --context exclude each other');
  if (values['cluster-name'] !== undefined && manifests.length === 0) {
    throw new UsageError('--cluster-name names the cluster of --manifests; it needs --manifests');
  }
  return {
    source:
      manifests.length > 0
        ? {
            type: 'manifests',
            paths: manifests,
            clusterName: nonEmpty(values['cluster-name'], '--cluster-name') ?? OPTION.clusterName.default,
          }
        : values.demo
          ? { type: 'demo' }
          : live
            ? {
                type: 'kubeconfig',
                ...(values.kubeconfig !== undefined && {
                  path: nonEmpty(values.kubeconfig, '--kubeconfig') as string,
                }),
                contexts: values['all-contexts'] ? 'all' : contexts.length > 0 ? contexts : 'current',
              }
            : { type: 'default' },
    live: {
      readKubeletConfig: values['kubelet-config'] === true,
      clusterTimeoutSeconds: wholeNumber(values, OPTION.clusterTimeout),
      concurrency: wholeNumber(values, OPTION.concurrency),
      maxResponseMegabytes: wholeNumber(values, OPTION.maxResponseMb),
    },
  };
}

function parseScan(argv: readonly string[]): CliCommand {
  const { values, positionals } = parseStrict(argv, parseArgsSpec('scan'));
  if (values.help) return { command: 'help', topic: 'scan' };
  const outDir = nonEmpty(values.out, '--out') ?? OPTION.out.default;
  const store = nonEmpty(values.store, '--store');
  const options: ScanOptions = {
    ...sourceOf(values, positionals),
    outDir,
    store: parseStoreLocation(store ?? outDir),
    formats: parseFormats(values.format as string | undefined),
    quiet: values.quiet === true,
    notify: parseNotifyFlags({
      webhook: values.webhook,
      webhookFormat: values['webhook-format'],
      notify: values.notify,
      snsTopic: values['sns-topic'],
    }),
  };
  const config = nonEmpty(values.config, '--config');
  if (config !== undefined) options.configPath = config;
  const kmsKeyId = nonEmpty(values['kms-key-id'], '--kms-key-id');
  if (kmsKeyId !== undefined) {
    if (options.store.type !== 's3')
      throw new UsageError('--kms-key-id encrypts objects in S3; it needs --store s3://BUCKET/PREFIX');
    options.kmsKeyId = kmsKeyId;
  }
  const linkExpiry = nonEmpty(values['link-expiry'], '--link-expiry');
  if (linkExpiry !== undefined) options.linkExpiresInSeconds = parseDuration(linkExpiry, '--link-expiry');
  const failOn = values['fail-on'];
  if (failOn !== undefined) {
    if (!isSeverity(failOn)) throw new UsageError(`--fail-on must be one of ${SEVERITIES.join(', ')}`);
    options.failOn = failOn;
  }
  return { command: 'scan', options };
}

function parsePlan(argv: readonly string[]): CliCommand {
  const { values, positionals } = parseStrict(argv, parseArgsSpec('plan'));
  if (values.help) return { command: 'help', topic: 'plan' };
  const format = oneOf(values, OPTION.planFormat);
  const options: PlanOptions = {
    ...sourceOf(values, positionals),
    format,
    runbooks: values.runbooks === true,
    quiet: values.quiet === true,
  };
  const config = nonEmpty(values.config, '--config');
  if (config !== undefined) options.configPath = config;
  return { command: 'plan', options };
}

function parseRules(argv: readonly string[]): CliCommand {
  const { values, positionals } = parseStrict(argv, parseArgsSpec('rules'));
  if (values.help) return { command: 'help', topic: 'rules' };
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  return { command: 'rules', format: oneOf(values, OPTION.rulesFormat) };
}

function parseVerify(argv: readonly string[]): CliCommand {
  const { values, positionals } = parseStrict(argv, parseArgsSpec('verify'));
  if (values.help) return { command: 'help', topic: 'verify' };
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument "${positionals[0]}"`, 'Name the store with --store LOCATION.');
  return {
    command: 'verify',
    options: {
      store: parseStoreLocation(nonEmpty(values.store, '--store') ?? OPTION.store.default),
      quiet: values.quiet === true,
    },
  };
}

function parseRepair(argv: readonly string[]): CliCommand {
  const { values, positionals } = parseStrict(argv, parseArgsSpec('repair'));
  if (values.help) return { command: 'help', topic: 'repair' };
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument "${positionals[0]}"`, 'Name the store with --store LOCATION.');
  const runId = nonEmpty(values.run, '--run');
  if (runId !== undefined && !isRunId(runId))
    throw new UsageError(`--run: "${runId}" is not a run id`, 'Run ids look like 20261122T030000Z-3f9a1c.');
  return {
    command: 'repair',
    options: {
      store: parseStoreLocation(nonEmpty(values.store, '--store') ?? OPTION.store.default),
      ...(runId !== undefined && { runId }),
    },
  };
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `3600`, `90m`, `12h`, `7d`: at least a minute, at most what a presigned URL allows. */
export function parseDuration(value: string, flag: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  const seconds = match ? Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 1) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds < MIN_LINK_SECONDS || seconds > MAX_LINK_SECONDS)
    throw new UsageError(
      `${flag}: "${value}" is not a duration between 1m and 7d`,
      'Give seconds (3600) or a number with s, m, h or d (12h, 7d).',
    );
  return seconds;
}

function parseStrict(argv: readonly string[], options: ReturnType<typeof parseArgsSpec>) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    const message =
      error instanceof Error ? error.message.replace(/\. To specify a positional.*$/s, '') : String(error);
    throw new UsageError(
      message.charAt(0).toLowerCase() + message.slice(1),
      'Run with --help to see the options.',
    );
  }
}

function nonEmpty(value: unknown, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`${flag} needs a value`);
  return value;
}

/**
 * A count or a duration, checked here rather than where it is used: a timer takes at most
 * 2^31-1 ms and fires at once past that, and 1e20 is an "integer" to Number. The default and
 * the bounds are the option's declaration, the same that --help and the docs show.
 */
function wholeNumber(
  values: ParsedFlags,
  option: OptionDeclaration & { default: number; range: { min: number; max: number; unit?: string } },
): number {
  const value = values[option.name];
  const flag = `--${option.name}`;
  const { min, max, unit } = option.range;
  if (value === undefined) return option.default;
  const text = typeof value === 'string' ? value.trim() : '';
  const number = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
  if (!(number >= min && number <= max)) {
    throw new UsageError(
      `${flag} must be a whole number${unit ? ` of ${unit}` : ''} from ${min} to ${max}, not "${text || String(value)}"`,
      `Give digits only; without the option it is ${option.default}.`,
    );
  }
  return number;
}

/** A value from the option's declared choices, else its declared default. */
function oneOf<const T extends string>(
  values: ParsedFlags,
  option: OptionDeclaration & { default: T; choices: readonly T[] },
): T {
  const value = values[option.name] ?? option.default;
  if (typeof value !== 'string' || !(option.choices as readonly string[]).includes(value))
    throw new UsageError(
      `--${option.name} must be ${option.choices.slice(0, -1).join(', ')} or ${option.choices.at(-1)}`,
    );
  return value as T;
}

function parseFormats(value: string | undefined): ReportFormat[] {
  if (value === undefined) return [...REPORT_FORMATS];
  const formats = value.split(',').map((format) => format.trim().toLowerCase());
  const unknown = formats.filter((format) => !(REPORT_FORMATS as readonly string[]).includes(format));
  if (unknown.length > 0 || formats.length === 0) {
    throw new UsageError(
      `--format: unknown format ${unknown.join(', ')}`,
      `Formats: ${REPORT_FORMATS.join(', ')}.`,
    );
  }
  // JSON is the canonical form: it is always written.
  return [...new Set<ReportFormat>(['json', ...(formats as ReportFormat[])])];
}
