import { resourceLabel } from '../kube/resource-label.ts';
import { type Severity, severityRank } from '../rules/severity.ts';
import type { Finding, WorkloadReport } from './model.ts';

/** A workload, its findings grouped by rule, their evidence and links (partials/workload.hbs, partials/affected.hbs, partials/link.hbs). */

export interface FindingView {
  finding: Finding;
  label: string;
  /** The one piece of evidence that names the problem, for one-line listings. */
  keyEvidence?: string;
  evidence: Array<{ label: string; value: string }>;
  references: LinkView[];
}

export interface LinkView {
  text: string;
  /** Only http(s) links become links; anything else is shown as text. */
  href?: string;
}

export interface WorkloadView {
  workload: WorkloadReport;
  label: string;
  anchor: string;
  findings: FindingView[];
  /** The findings by rule: a rule's remediation and references are shown once per workload. */
  rules: RuleGroupView[];
  ruleIds: string[];
  /** The most telling piece of evidence, for the overview table. */
  keyEvidence?: string;
  /** `DS050 title (evidence); DS004 ...` for the Markdown report. */
  oneLine: string;
  agentGuidance?: { vendor: string; product: string; guidance: string; references: LinkView[] };
}

export interface RuleGroupView {
  rule: string;
  title: string;
  severity: Severity;
  remediation: string;
  references: LinkView[];
  items: Array<{ message: string; evidence: FindingView['evidence'] }>;
}

export function workloadView(
  workload: WorkloadReport,
  byId: ReadonlyMap<string, Finding>,
  anchor: string,
): WorkloadView {
  const findings = workload.findings
    .map((id) => byId.get(id))
    .filter((finding): finding is Finding => finding !== undefined && !finding.exemption)
    .map(findingView);
  const rules = ruleGroups(findings);
  const view: WorkloadView = {
    workload,
    label: resourceLabel(workload.resource),
    anchor,
    findings,
    rules,
    ruleIds: rules.map((group) => group.rule),
    oneLine: rules
      .map((group) => {
        const evidence = [
          ...new Set(
            findings
              .filter((entry) => entry.finding.rule === group.rule)
              .flatMap((entry) => entry.keyEvidence ?? []),
          ),
        ];
        return `${group.rule} ${group.title}${evidence.length > 0 ? ` (${evidence.join(', ')})` : ''}`;
      })
      .join('; '),
  };
  const keyEvidence = findings.find((entry) => entry.keyEvidence !== undefined)?.keyEvidence;
  if (keyEvidence !== undefined) view.keyEvidence = keyEvidence;
  const agent = findings.find((entry) => entry.finding.agent)?.finding.agent;
  if (agent)
    view.agentGuidance = {
      vendor: agent.vendor,
      product: agent.product,
      guidance: agent.guidance,
      references: agent.references.map(linkView),
    };
  return view;
}

/** Findings of one rule together, most severe rule first; the order within a rule is the report's. */
function ruleGroups(findings: readonly FindingView[]): RuleGroupView[] {
  const groups = new Map<string, RuleGroupView>();
  for (const { finding, evidence } of findings) {
    let group = groups.get(finding.rule);
    if (!group) {
      group = {
        rule: finding.rule,
        title: finding.title,
        severity: finding.severity,
        remediation: finding.remediation,
        references: finding.references.map(linkView),
        items: [],
      };
      groups.set(finding.rule, group);
    }
    group.items.push({ message: finding.message, evidence });
  }
  return [...groups.values()].sort(
    (a, b) => severityRank(b.severity) - severityRank(a.severity) || a.rule.localeCompare(b.rule),
  );
}

export function findingView(finding: Finding): FindingView {
  const evidence = evidenceRows(finding);
  const view: FindingView = {
    finding,
    label: resourceLabel(finding.resource),
    evidence,
    references: finding.references.map(linkView),
  };
  const { hostPath, env, arg, endpoint, configKey, node, runtime } = finding.evidence;
  // A node finding's resource is the node already: its runtime is what tells.
  const key = hostPath ?? env ?? arg ?? endpoint ?? configKey ?? runtime ?? node;
  if (key !== undefined) view.keyEvidence = key;
  return view;
}

function evidenceRows(finding: Finding): FindingView['evidence'] {
  const evidence = finding.evidence;
  const rows: FindingView['evidence'] = [];
  const add = (label: string, value: string | undefined) => {
    if (value !== undefined && value !== '') rows.push({ label, value });
  };
  add('Container', finding.container);
  add('Host path', evidence.hostPath);
  if (evidence.volumeHostPath !== undefined)
    add('Volume', `${evidence.volumeHostPath}${evidence.subPath ? ` (subPath ${evidence.subPath})` : ''}`);
  else add('subPath', evidence.subPath);
  if (evidence.mountPath !== undefined)
    add('Mounted at', `${evidence.mountPath}${evidence.readOnly ? ' (read-only)' : ''}`);
  add('Environment', evidence.env);
  add('Argument', evidence.arg);
  add('Endpoint', evidence.endpoint);
  add('Image', evidence.image);
  add('Config key', evidence.configKey);
  add('Value', evidence.value);
  add('Node', evidence.node);
  add('Runtime', evidence.runtime);
  add('Kubelet', evidence.kubeletVersion);
  add('Annotation', evidence.annotation);
  if (evidence.nodes && evidence.nodes.length > 0) {
    const more = (evidence.nodeCount ?? evidence.nodes.length) - evidence.nodes.length;
    add('Nodes', `${evidence.nodes.join(', ')}${more > 0 ? ` and ${more} more` : ''}`);
  }
  return rows;
}

/** Links show their site and page, not the whole URL; only http(s) URLs become links. */
function linkView(reference: string): LinkView {
  if (!/^https?:\/\/[^\s"'<>`]+$/i.test(reference)) return { text: reference };
  try {
    const url = new URL(reference);
    const page = url.pathname.split('/').filter(Boolean).at(-1) ?? '';
    const text = `${url.hostname.replace(/^www\./, '')}${page ? ` › ${decodeURIComponent(page).replace(/\.html?$/, '')}` : ''}${url.hash ? ` ${url.hash}` : ''}`;
    return { text, href: reference };
  } catch {
    return { text: reference };
  }
}
