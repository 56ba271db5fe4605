import {
  DEFAULT_CLUSTER_CONCURRENCY,
  DEFAULT_CLUSTER_TIMEOUT_SECONDS,
  MAX_CLUSTER_CONCURRENCY,
  MAX_CLUSTER_TIMEOUT_SECONDS,
  REPORT_FORMATS,
  RESPONSE_LIMIT_MB,
} from '../defaults.ts';
import { SEVERITIES } from '../rules/severity.ts';
import { WEBHOOK_SECRET_ENV, WEBHOOK_URL_ENV } from './notify-options.ts';

/**
 * The command line, declared once. `--help`, the `parseArgs` spec, the defaults and ranges the
 * parser checks, and the tables of docs/cli.md (npm run docs) are all made from these
 * declarations; a test fails when the generated docs are stale.
 */
export interface OptionDeclaration {
  /** The long flag without its dashes: `cluster-timeout`. */
  name: string;
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  /** What the value is called in help: PATH, NAME, S. */
  value?: string;
  /** The value used when the flag is absent, written as a user would type it. */
  default?: string | number;
  /** The default in words, when it is not a value (`the --out folder`). */
  defaultText?: string;
  /** The values the parser accepts, when they are few. */
  choices?: readonly string[];
  /** Whole numbers the parser accepts; the default lies within. */
  range?: { min: number; max: number; unit?: string };
  /** What it does, in plain text: --help and docs. */
  help: string;
  /** More for docs/cli.md only (Markdown). */
  more?: string;
}

export interface OptionGroup {
  title: string;
  /** A sentence under the title. */
  note?: string;
  options: readonly OptionDeclaration[];
}

export const ExitCode = { ok: 0, incomplete: 1, usage: 2, failOn: 3, tampered: 4 } as const;
export type ExitCodeName = keyof typeof ExitCode;

/** What each exit code means across commands: the main help's line, README's and docs' table. */
export const EXIT_CODE_MEANINGS: Readonly<Record<ExitCodeName, { short: string; meaning: string }>> = {
  ok: { short: 'done', meaning: 'the audit ran and read everything' },
  incomplete: {
    short: 'error or incomplete input',
    meaning:
      'an error, or incomplete input: a file or cluster could not be read (the report is still written and says what is missing); the run could not be stored; a notification could not be delivered (the run is stored)',
  },
  usage: { short: 'usage error', meaning: 'usage error: an unknown option or a bad value' },
  failOn: {
    short: 'findings at or above --fail-on',
    meaning: '`--fail-on` threshold reached (only when the input was read completely)',
  },
  tampered: {
    short: 'verify found evidence that is not whole (changed, missing, added, or outside the chain)',
    meaning:
      '`verify`: the evidence is not whole: an artifact or manifest was changed, removed or added, or a run folder is outside the chain (each with the reason)',
  },
};

export interface EnvironmentVariable {
  name: string;
  help: string;
}

export interface CommandDeclaration {
  name: CommandName;
  /** After `dockershim-audit <name> `. */
  usage: string;
  /** One line in the main help's list. */
  summary: string;
  /** Paragraphs after the usage line. */
  about?: readonly string[];
  groups: readonly OptionGroup[];
  environment?: readonly EnvironmentVariable[];
  /** The codes this command exits with, in its own words. */
  exits: Partial<Record<ExitCodeName, string>>;
  examples?: readonly string[];
}

export type CommandName = 'scan' | 'plan' | 'verify' | 'repair' | 'rules';

export const DEFAULT_OUT_DIR = './audit-reports';
export const DEFAULT_MANIFEST_CLUSTER = 'manifests';

const HELP_FLAG: OptionDeclaration = { name: 'help', type: 'boolean', short: 'h', help: 'this help' };

/** The options, by the name the parser reads them with. */
export const OPTION = {
  kubeconfig: {
    name: 'kubeconfig',
    type: 'string',
    value: 'PATH',
    defaultText: '$KUBECONFIG, then ~/.kube/config',
    help: 'a kubeconfig to read',
  },
  context: {
    name: 'context',
    type: 'string',
    multiple: true,
    value: 'NAME',
    help: 'a context (cluster) to audit; repeat it for several clusters',
  },
  allContexts: {
    name: 'all-contexts',
    type: 'boolean',
    help: 'every context of the kubeconfig, a few clusters at a time',
  },
  manifests: {
    name: 'manifests',
    type: 'string',
    multiple: true,
    value: 'PATH...',
    help: 'YAML or JSON manifests, or kubectl -o json|yaml snapshots. Files or folders (read recursively); "-" reads standard input.',
    more: 'Files ending in `.yaml`, `.yml` or `.json`; links are followed. See [Reading files](#reading-files).',
  },
  demo: {
    name: 'demo',
    type: 'boolean',
    help: "the bundled demo snapshot (a mixed Docker/containerd cluster built from the vendors' manifests)",
  },
  clusterTimeout: {
    name: 'cluster-timeout',
    type: 'string',
    value: 'S',
    default: DEFAULT_CLUSTER_TIMEOUT_SECONDS,
    range: { min: 1, max: MAX_CLUSTER_TIMEOUT_SECONDS, unit: 'seconds' },
    help: 'per-cluster deadline in seconds, connecting and credential plugins included',
    more: 'What is not read by then makes the cluster `partial`.',
  },
  concurrency: {
    name: 'concurrency',
    type: 'string',
    value: 'N',
    default: DEFAULT_CLUSTER_CONCURRENCY,
    range: { min: 1, max: MAX_CLUSTER_CONCURRENCY },
    help: 'clusters read at once',
  },
  maxResponseMb: {
    name: 'max-response-mb',
    type: 'string',
    value: 'N',
    default: RESPONSE_LIMIT_MB.default,
    range: { min: RESPONSE_LIMIT_MB.min, max: RESPONSE_LIMIT_MB.max, unit: 'MiB' },
    help: 'largest API answer read, MiB after gzip; a larger one fails its list',
  },
  kubeletConfig: {
    name: 'kubelet-config',
    type: 'boolean',
    help: "also read each kubelet's configz through the node proxy (needs nodes/proxy, a powerful permission: see docs/cluster-access.md)",
    more: 'See [`--kubelet-config` and `nodes/proxy`](cluster-access.md#--kubelet-config-and-nodesproxy).',
  },
  clusterName: {
    name: 'cluster-name',
    type: 'string',
    value: 'NAME',
    default: DEFAULT_MANIFEST_CLUSTER,
    help: "name of the cluster the manifests describe; it is part of every finding's id",
  },
  config: {
    name: 'config',
    type: 'string',
    value: 'FILE',
    help: 'policy file: severity overrides, rules switched off, exemptions, extra agent signatures, plan.poolLabels',
    more: 'See [docs/policy.md](policy.md).',
  },
  out: {
    name: 'out',
    type: 'string',
    value: 'DIR',
    default: DEFAULT_OUT_DIR,
    help: 'folder for report.json, report.html, report.md and diff.json of this run',
  },
  scanStore: {
    name: 'store',
    type: 'string',
    value: 'LOCATION',
    defaultText: 'the --out folder',
    help: 'where every run is kept and the previous one is read from: s3://BUCKET/PREFIX or a folder',
    more: 'See [Where runs are kept](reports-and-evidence.md#where-runs-are-kept).',
  },
  kmsKeyId: {
    name: 'kms-key-id',
    type: 'string',
    value: 'KEY',
    help: 'S3 stores: write every object with SSE-KMS under KEY (id, ARN or alias)',
  },
  linkExpiry: {
    name: 'link-expiry',
    type: 'string',
    value: 'TIME',
    default: '7d',
    help: 'S3 stores: how long links to the stored report stay valid: 3600, 12h or 7d, at most 7d',
    more: 'See [Report links](reports-and-evidence.md#report-links).',
  },
  reportFormats: {
    name: 'format',
    type: 'string',
    value: 'LIST',
    default: REPORT_FORMATS.join(','),
    help: 'formats to write, comma-separated; report.json and diff.json are always written',
  },
  failOn: {
    name: 'fail-on',
    type: 'string',
    value: 'SEVERITY',
    help: `exit 3 when a finding at or above SEVERITY exists (${SEVERITIES.join(', ')})`,
  },
  quiet: { name: 'quiet', type: 'boolean', short: 'q', help: 'print only errors' },
  webhook: {
    name: 'webhook',
    type: 'string',
    value: 'URL',
    help: `post to this webhook (or set ${WEBHOOK_URL_ENV})`,
  },
  webhookFormat: {
    name: 'webhook-format',
    type: 'string',
    value: 'F',
    defaultText: "from the URL's host, else generic",
    help: `slack, teams or generic; generic is signed with ${WEBHOOK_SECRET_ENV}`,
    more: 'See [Formats](notifications.md#formats).',
  },
  notify: {
    name: 'notify',
    type: 'string',
    value: 'WHEN',
    default: 'changes',
    help: 'changes (when something changed, and on the first run), always, or never',
    more: 'See [When](notifications.md#when).',
  },
  snsTopic: {
    name: 'sns-topic',
    type: 'string',
    value: 'ARN',
    help: 'also publish an e-mail summary to this SNS topic',
  },
  runbooks: { name: 'runbooks', type: 'boolean', help: "also print each pool's runbook (commands to paste)" },
  planFormat: {
    name: 'format',
    type: 'string',
    value: 'F',
    default: 'text',
    choices: ['text', 'json'],
    help: "text, or json (the report's migration objects)",
  },
  store: {
    name: 'store',
    type: 'string',
    value: 'LOCATION',
    default: DEFAULT_OUT_DIR,
    help: 's3://BUCKET/PREFIX or a folder',
  },
  run: { name: 'run', type: 'string', value: 'RUN_ID', help: 'the run latest.json should name' },
  rulesFormat: {
    name: 'format',
    type: 'string',
    value: 'F',
    default: 'text',
    choices: ['text', 'json', 'markdown'],
    help: 'text, json or markdown',
  },
  help: HELP_FLAG,
} as const satisfies Record<string, OptionDeclaration>;

const SOURCES: OptionGroup = {
  title: 'Sources',
  note: 'With none: the current kubeconfig context, or the bundled demo when there is no kubeconfig at all.',
  options: [OPTION.kubeconfig, OPTION.context, OPTION.allContexts, OPTION.manifests, OPTION.demo],
};

const LIVE: OptionGroup = {
  title: 'Live clusters',
  options: [OPTION.clusterTimeout, OPTION.concurrency, OPTION.maxResponseMb, OPTION.kubeletConfig],
};

export const COMMANDS: readonly CommandDeclaration[] = [
  {
    name: 'scan',
    usage: 'scan [source] [options]',
    summary: 'audit and write the report',
    groups: [
      SOURCES,
      LIVE,
      {
        title: 'Options',
        options: [
          OPTION.clusterName,
          OPTION.out,
          OPTION.scanStore,
          OPTION.kmsKeyId,
          OPTION.linkExpiry,
          OPTION.reportFormats,
          OPTION.config,
          OPTION.failOn,
          OPTION.quiet,
          OPTION.help,
        ],
      },
      {
        title: 'Notifications',
        note: 'What changed since the previous run.',
        options: [OPTION.webhook, OPTION.webhookFormat, OPTION.notify, OPTION.snsTopic],
      },
    ],
    environment: [
      {
        name: WEBHOOK_URL_ENV,
        help: 'the webhook, when --webhook is not given (other users cannot read it)',
      },
      {
        name: WEBHOOK_SECRET_ENV,
        help: 'the signing secret of the generic webhook, at least 16 characters',
      },
    ],
    exits: {
      ok: 'done',
      incomplete: 'error or incomplete input (a file or cluster could not be read)',
      usage: 'usage error',
      failOn: 'findings at or above --fail-on',
    },
    examples: [
      'dockershim-audit scan --manifests k8s/ --fail-on high',
      'dockershim-audit scan --manifests k8s/ --store s3://audit-evidence/prod --kms-key-id alias/audit',
      'kubectl get pods,daemonsets,deployments,nodes -A -o json | dockershim-audit scan --manifests -',
    ],
  },
  {
    name: 'plan',
    usage: 'plan [source] [options]',
    summary: 'print the migration plan: pools, blockers, order',
    about: [
      'Prints the migration plan of each cluster: node pools (EKS node groups, Karpenter pools, GKE node pools, AKS agent pools, kops instance groups, or runtime and kubelet version), which are ready to leave Docker Engine, what blocks the others and what a drain risks, in the order to go. Reads like scan; writes and stores nothing.',
      'A snapshot for it needs nodes and PodDisruptionBudgets too (the last example).',
    ],
    groups: [
      SOURCES,
      LIVE,
      {
        title: 'Options',
        options: [
          OPTION.clusterName,
          OPTION.config,
          OPTION.runbooks,
          OPTION.planFormat,
          { ...OPTION.quiet, help: 'no progress lines' },
          OPTION.help,
        ],
      },
    ],
    exits: {
      ok: 'done',
      incomplete: 'a cluster could not be read completely (no pool is called ready then)',
      usage: 'usage error',
    },
    examples: [
      'dockershim-audit plan --context prod',
      'dockershim-audit plan --manifests snapshot.json --runbooks',
      'dockershim-audit plan --demo --format json',
      'kubectl get nodes,pods,deployments,statefulsets,daemonsets,cronjobs,pdb -A -o json | dockershim-audit plan --manifests -',
    ],
  },
  {
    name: 'verify',
    usage: 'verify [--store LOCATION] [--quiet]',
    summary: "check the stored runs' evidence (hash chain)",
    about: [
      "Walks the hash chain of the stored runs from the latest back to the first: every artifact must match the SHA-256 in its run's manifest, and every manifest the hash the next run recorded. Names each artifact that was changed, removed or added.",
      'Every run folder the chain does not reach is a problem too, with the reason: a publish that failed before the run was complete, a fork, or a chain that was cut.',
    ],
    groups: [
      {
        title: 'Options',
        options: [OPTION.store, { ...OPTION.quiet, help: 'print only problems' }, OPTION.help],
      },
    ],
    exits: {
      ok: 'intact',
      incomplete: 'the store could not be read',
      usage: 'usage error',
      tampered: 'evidence that is not whole',
    },
  },
  {
    name: 'repair',
    usage: 'repair [--store LOCATION] [--run RUN_ID]',
    summary: 're-derive latest.json from the verified chain',
    about: [
      'When latest.json (the head of the chain) is missing or unreadable, scan stores nothing rather than start a second chain. repair writes latest.json again: it names the newest run of the stored chain, after verifying that chain back to its first run. No run is changed. With several runs that are each the newest of a chain (a fork), name the one to keep with --run.',
    ],
    groups: [{ title: 'Options', options: [OPTION.store, OPTION.run, OPTION.help] }],
    exits: {
      ok: 'repaired or nothing to repair',
      incomplete: 'refused (the reason and a hint say why)',
      usage: 'usage error',
    },
  },
  {
    name: 'rules',
    usage: 'rules [--format text|json|markdown]',
    summary: 'list the rules (text, json, markdown)',
    about: [
      'Lists every rule with its id, severity and title (json and markdown add the rationale, remediation and references).',
    ],
    groups: [{ title: 'Options', options: [OPTION.rulesFormat, OPTION.help] }],
    exits: { ok: 'done', usage: 'usage error' },
  },
];

/** Variables every command reads, besides a command's own. */
export const ENVIRONMENT: readonly EnvironmentVariable[] = [
  {
    name: 'KUBECONFIG',
    help: 'the kubeconfig files to read, as kubectl reads them (default ~/.kube/config)',
  },
  {
    name: 'AWS_PROFILE, AWS_REGION',
    help: "S3 stores, SNS topics and EKS clusters: the AWS SDK's usual credentials chain and region",
  },
  {
    name: 'AWS_ENDPOINT_URL',
    help: 'an S3-compatible server (LocalStack): path-style addressing, checksums only where S3 requires them',
  },
  { name: 'DOCKERSHIM_AUDIT_TEMPLATES', help: 'a folder of your own Handlebars templates for the reports' },
  { name: 'NO_COLOR', help: 'no colour on a terminal' },
  { name: 'DOCKERSHIM_AUDIT_DEBUG', help: 'print the stack trace of an error beside its hint' },
];

export function commandDeclaration(name: CommandName): CommandDeclaration {
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) throw new Error(`no declaration for command ${name}`);
  return command;
}

/** The `parseArgs` options of a command, from its declaration. */
export function parseArgsSpec(
  name: CommandName,
): Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> {
  const spec: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const group of commandDeclaration(name).groups) {
    for (const option of group.options) {
      spec[option.name] = {
        type: option.type,
        ...(option.multiple && { multiple: true }),
        ...(option.short !== undefined && { short: option.short }),
      };
    }
  }
  return spec;
}
