import { resourceKey } from '../kube/objects.ts';
import type { Finding } from '../report/model.ts';
import { type AgentCatalog, bundledAgentCatalog } from '../rules/agents/agent-catalog.ts';
import { RULES } from '../rules/catalog.ts';
import type { Rule } from '../rules/rule.ts';
import type { Severity } from '../rules/severity.ts';

/**
 * A finding the user has accepted, with a reason. Narrow by rule, resource (`Kind/namespace/name`,
 * `*` as a wildcard), cluster, or the finding's id. An exemption past its expiry date no longer
 * applies, and the report says so.
 */
export interface ExemptionRule {
  rule?: string;
  resource?: string;
  cluster?: string;
  findingId?: string;
  reason: string;
  /** `YYYY-MM-DD`; the exemption applies through that day (UTC). */
  expires?: string;
}

/** What decides the outcome of an audit besides the input: rules, severities, exemptions, agents. */
export interface AuditPolicy {
  rules: readonly Rule[];
  severityOverrides: Readonly<Record<string, Severity>>;
  exemptions: readonly ExemptionRule[];
  agents: AgentCatalog;
  /** Node labels that name a node's pool, tried before the built-in ones (the plan's `poolLabels`). */
  poolLabels: readonly string[];
  /** The run's clock, for exemption expiry. */
  now: Date;
}

export function defaultPolicy(now: Date = new Date()): AuditPolicy {
  return {
    rules: RULES,
    severityOverrides: {},
    exemptions: [],
    agents: bundledAgentCatalog(),
    poolLabels: [],
    now,
  };
}

export function severityFor(policy: AuditPolicy, rule: Rule): Severity {
  return policy.severityOverrides[rule.id] ?? rule.severity;
}

export function isExpired(exemption: ExemptionRule, now: Date): boolean {
  return exemption.expires !== undefined && now.getTime() > Date.parse(`${exemption.expires}T23:59:59.999Z`);
}

/** The first exemption that covers the finding and has not expired. */
export function exemptionFor(
  policy: AuditPolicy,
  cluster: string,
  finding: Finding,
): ExemptionRule | undefined {
  return policy.exemptions.find(
    (exemption) =>
      !isExpired(exemption, policy.now) &&
      (exemption.findingId === undefined || exemption.findingId === finding.id) &&
      (exemption.rule === undefined || exemption.rule === finding.rule) &&
      (exemption.cluster === undefined || globMatch(exemption.cluster, cluster)) &&
      (exemption.resource === undefined || globMatch(exemption.resource, resourceKey(finding.resource))),
  );
}

function globMatch(pattern: string, value: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return regex.test(value);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
