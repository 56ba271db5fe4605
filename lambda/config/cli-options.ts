import { parseArgs } from 'node:util';
import {
  DEFAULT_CLUSTER_CONCURRENCY,
  DEFAULT_CLUSTER_TIMEOUT_SECONDS,
  MAX_CLUSTER_CONCURRENCY,
  MAX_CLUSTER_TIMEOUT_SECONDS,
  MAX_LINK_SECONDS,
  MIN_LINK_SECONDS,
  REPORT_FORMATS,
  RESPONSE_LIMIT_MB,
  type ReportFormat,
} from '../defaults.ts';
import { UsageError } from '../errors.ts';
import { isSeverity, SEVERITIES, type Severity } from '../rules/severity.ts';
import { parseStoreLocation, type StoreLocation } from '../store/open-store.ts';
import { isRunId } from '../store/run-history.ts';
import {
  type NotifyOptions,
  parseNotifyFlags,
  WEBHOOK_SECRET_ENV,
  WEBHOOK_URL_ENV,
} from './notify-options.ts';

export const DEFAULT_OUT_DIR = './audit-reports';
export const DEFAULT_MANIFEST_CLUSTER = 'manifests';

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

export const HELP = {
  main: `dockershim-audit: find what in your Kubernetes clusters still depends on Docker Engine.

Usage:
  dockershim-audit scan [source] [options]   audit and write the report
  dockershim-audit plan [source] [options]   print the migration plan: pools, blockers, order
  dockershim-audit verify [--store S]        check the stored runs' evidence (hash chain)
  dockershim-audit repair [--store S]        re-derive latest.json from the verified chain
  dockershim-audit rules [--format F]        list the rules (text, json, markdown)
  dockershim-audit help [command]            help for a command
  dockershim-audit --version

Run "dockershim-audit scan --help" for the scan options, "dockershim-audit plan --help" for the plan's.
Exit codes: 0 done, 1 error or incomplete input, 2 usage error, 3 findings at or above --fail-on,
4 verify found evidence that is not whole (changed, missing, added, or outside the chain).`,
  scan: `Usage: dockershim-audit scan [source] [options]

Sources (with none: the current kubeconfig context, or the bundled demo when there is
no kubeconfig at all):
  --kubeconfig PATH     a kubeconfig (default: $KUBECONFIG, then ~/.kube/config)
  --context NAME        a context to audit; repeat it for several clusters
  --all-contexts        every context of the kubeconfig, a few clusters at a time
  --manifests PATH...   YAML or JSON manifests, or kubectl -o json|yaml snapshots.
                        Files or folders (read recursively); "-" reads standard input.
  --demo                the bundled demo snapshot (a mixed Docker/containerd cluster)

Live clusters:
  --cluster-timeout S   per-cluster deadline in seconds, connecting and credential plugins
                        included (default: ${DEFAULT_CLUSTER_TIMEOUT_SECONDS}, at most ${MAX_CLUSTER_TIMEOUT_SECONDS})
  --concurrency N       clusters read at once (default: ${DEFAULT_CLUSTER_CONCURRENCY})
  --max-response-mb N   largest API answer read, MiB after gzip (default: ${RESPONSE_LIMIT_MB.default});
                        a larger one fails its list
  --kubelet-config      also read each kubelet's configz through the node proxy
                        (needs nodes/proxy, a powerful permission: see README)

Options:
  --cluster-name NAME   name of the cluster the manifests describe (default: ${DEFAULT_MANIFEST_CLUSTER})
  --out DIR             folder for report.json, report.html, report.md, diff.json (default: ${DEFAULT_OUT_DIR})
  --store LOCATION      where every run is kept and the previous one is read from:
                        s3://BUCKET/PREFIX or a folder (default: the --out folder)
  --kms-key-id KEY      encrypt stored objects with SSE-KMS under KEY (S3 stores)
  --link-expiry TIME    how long links to a stored S3 report stay valid: 3600, 12h, 7d (default and most: 7d)
  --format LIST         formats to write, comma-separated: ${REPORT_FORMATS.join(',')} (default: all)
  --config FILE         policy file: severity overrides, exemptions, extra agent signatures
  --fail-on SEVERITY    exit 3 when a finding at or above SEVERITY exists (${SEVERITIES.join(', ')})
  --quiet               print only errors
  -h, --help            this help

Notifications (what changed since the previous run):
  --webhook URL         post to this webhook (or set ${WEBHOOK_URL_ENV})
  --webhook-format F    slack, teams or generic (default: from the URL's host, else generic);
                        generic is signed with ${WEBHOOK_SECRET_ENV}
  --notify WHEN         changes (default: when something changed, and on the first run),
                        always, or never
  --sns-topic ARN       also publish an e-mail summary to this SNS topic

Exit codes: 0 done, 1 error or incomplete input (a file or cluster could not be read),
2 usage error, 3 findings at or above --fail-on.

Examples:
  dockershim-audit scan --manifests k8s/ --fail-on high
  dockershim-audit scan --manifests k8s/ --store s3://audit-evidence/prod --kms-key-id alias/audit
  kubectl get pods,daemonsets,deployments,nodes -A -o json | dockershim-audit scan --manifests -`,
  plan: `Usage: dockershim-audit plan [source] [options]

Prints the migration plan of each cluster: node pools (EKS node groups, Karpenter pools,
GKE node pools, AKS agent pools, kops instance groups, or runtime and kubelet version),
which are ready to leave Docker Engine, what blocks the others and what a drain risks,
in the order to go. Reads like scan; writes and stores nothing.

Sources: as for scan (--kubeconfig, --context, --all-contexts, --manifests, --demo;
with none: the current kubeconfig context, or the bundled demo). For a snapshot, include
nodes and PodDisruptionBudgets: kubectl get nodes,pods,daemonsets,deployments,pdb -A -o json

Options:
  --cluster-name NAME   name of the cluster the manifests describe (default: ${DEFAULT_MANIFEST_CLUSTER})
  --cluster-timeout S   per-cluster deadline in seconds (default: ${DEFAULT_CLUSTER_TIMEOUT_SECONDS})
  --concurrency N       clusters read at once (default: ${DEFAULT_CLUSTER_CONCURRENCY})
  --max-response-mb N   largest API answer read, MiB after gzip (default: ${RESPONSE_LIMIT_MB.default})
  --kubelet-config      also read each kubelet's configz (needs nodes/proxy)
  --config FILE         policy file: exemptions, severity overrides, plan.poolLabels
  --runbooks            also print each pool's runbook (commands to paste)
  --format F            text (default) or json (the report's migration objects)
  --quiet               no progress lines
  -h, --help            this help

Exit codes: 0 done, 1 a cluster could not be read completely (no pool is called ready then),
2 usage error.`,
  verify: `Usage: dockershim-audit verify [--store LOCATION] [--quiet]

Walks the hash chain of the stored runs from the latest back to the first: every artifact
must match the SHA-256 in its run's manifest, and every manifest the hash the next run
recorded. Names each artifact that was changed, removed or added.

Every run folder the chain does not reach is a problem too, with the reason: a publish that
failed before the run was complete, a fork, or a chain that was cut.

  --store LOCATION      s3://BUCKET/PREFIX or a folder (default: ${DEFAULT_OUT_DIR})
  --quiet               print only problems

Exit codes: 0 intact, 1 the store could not be read, 2 usage error, 4 evidence that is not whole.`,
  repair: `Usage: dockershim-audit repair [--store LOCATION] [--run RUN_ID]

When latest.json (the head of the chain) is missing or unreadable, scan stores nothing rather
than start a second chain. repair writes latest.json again: it names the newest run of the
stored chain, after verifying that chain back to its first run. No run is changed. With
several runs that are each the newest of a chain (a fork), name the one to keep with --run.

  --store LOCATION      s3://BUCKET/PREFIX or a folder (default: ${DEFAULT_OUT_DIR})
  --run RUN_ID          the run latest.json should name

Exit codes: 0 repaired or nothing to repair, 1 refused (the reason and a hint say why), 2 usage error.`,
  rules: `Usage: dockershim-audit rules [--format text|json|markdown]

Lists every rule with its id, severity and title (json and markdown add the rationale,
remediation and references).`,
} as const;

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

/** The flags that choose what is read, shared by scan and plan. */
const SOURCE_FLAGS: OptionSpec = {
  manifests: { type: 'string', multiple: true },
  demo: { type: 'boolean' },
  kubeconfig: { type: 'string' },
  context: { type: 'string', multiple: true },
  'all-contexts': { type: 'boolean' },
  'kubelet-config': { type: 'boolean' },
  'cluster-timeout': { type: 'string' },
  concurrency: { type: 'string' },
  'max-response-mb': { type: 'string' },
  'cluster-name': { type: 'string' },
  config: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
};

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
            clusterName: nonEmpty(values['cluster-name'], '--cluster-name') ?? DEFAULT_MANIFEST_CLUSTER,
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
      clusterTimeoutSeconds: wholeNumber(values['cluster-timeout'], '--cluster-timeout', {
        fallback: DEFAULT_CLUSTER_TIMEOUT_SECONDS,
        min: 1,
        max: MAX_CLUSTER_TIMEOUT_SECONDS,
        unit: 'seconds',
      }),
      concurrency: wholeNumber(values.concurrency, '--concurrency', {
        fallback: DEFAULT_CLUSTER_CONCURRENCY,
        min: 1,
        max: MAX_CLUSTER_CONCURRENCY,
      }),
      maxResponseMegabytes: wholeNumber(values['max-response-mb'], '--max-response-mb', {
        fallback: RESPONSE_LIMIT_MB.default,
        min: RESPONSE_LIMIT_MB.min,
        max: RESPONSE_LIMIT_MB.max,
        unit: 'MiB',
      }),
    },
  };
}

function parseScan(argv: readonly string[]): CliCommand {
  const { values, positionals } = parseStrict(argv, {
    ...SOURCE_FLAGS,
    out: { type: 'string' },
    store: { type: 'string' },
    'kms-key-id': { type: 'string' },
    'link-expiry': { type: 'string' },
    format: { type: 'string' },
    'fail-on': { type: 'string' },
    webhook: { type: 'string' },
    'webhook-format': { type: 'string' },
    notify: { type: 'string' },
    'sns-topic': { type: 'string' },
  });
  if (values.help) return { command: 'help', topic: 'scan' };
  const outDir = nonEmpty(values.out, '--out') ?? DEFAULT_OUT_DIR;
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
  const { values, positionals } = parseStrict(argv, {
    ...SOURCE_FLAGS,
    runbooks: { type: 'boolean' },
    format: { type: 'string' },
  });
  if (values.help) return { command: 'help', topic: 'plan' };
  const format = (values.format as string | undefined) ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError('--format must be text or json');
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
  const { values, positionals } = parseStrict(argv, {
    format: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return { command: 'help', topic: 'rules' };
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const format = (values.format as string | undefined) ?? 'text';
  if (format !== 'text' && format !== 'json' && format !== 'markdown') {
    throw new UsageError('--format must be text, json or markdown');
  }
  return { command: 'rules', format };
}

function parseVerify(argv: readonly string[]): CliCommand {
  const { values, positionals } = parseStrict(argv, {
    store: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return { command: 'help', topic: 'verify' };
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument "${positionals[0]}"`, 'Name the store with --store LOCATION.');
  return {
    command: 'verify',
    options: {
      store: parseStoreLocation(nonEmpty(values.store, '--store') ?? DEFAULT_OUT_DIR),
      quiet: values.quiet === true,
    },
  };
}

function parseRepair(argv: readonly string[]): CliCommand {
  const { values, positionals } = parseStrict(argv, {
    store: { type: 'string' },
    run: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return { command: 'help', topic: 'repair' };
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument "${positionals[0]}"`, 'Name the store with --store LOCATION.');
  const runId = nonEmpty(values.run, '--run');
  if (runId !== undefined && !isRunId(runId))
    throw new UsageError(`--run: "${runId}" is not a run id`, 'Run ids look like 20261122T030000Z-3f9a1c.');
  return {
    command: 'repair',
    options: {
      store: parseStoreLocation(nonEmpty(values.store, '--store') ?? DEFAULT_OUT_DIR),
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

type OptionSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;

function parseStrict(argv: readonly string[], options: OptionSpec) {
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
 * 2^31-1 ms and fires at once past that, and 1e20 is an "integer" to Number.
 */
function wholeNumber(
  value: unknown,
  flag: string,
  bounds: { fallback: number; min: number; max: number; unit?: string },
): number {
  if (value === undefined) return bounds.fallback;
  const text = typeof value === 'string' ? value.trim() : '';
  const number = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
  if (!(number >= bounds.min && number <= bounds.max)) {
    throw new UsageError(
      `${flag} must be a whole number${bounds.unit ? ` of ${bounds.unit}` : ''} from ${bounds.min} to ${bounds.max}, not "${text || String(value)}"`,
      `Give digits only; without the option it is ${bounds.fallback}.`,
    );
  }
  return number;
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
