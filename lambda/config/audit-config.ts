import { parse as parseYaml } from 'yaml';
import type { AuditPolicy, ExemptionRule } from '../audit/policy.ts';
import { FileTooLarge, readBoundedText } from '../bounded-read.ts';
import { isRecord } from '../kube/objects.ts';
import {
  AgentCatalogError,
  type AgentSignature,
  extendAgentCatalog,
  parseAgentSignatures,
} from '../rules/agents/agent-catalog.ts';
import { ruleById } from '../rules/catalog.ts';
import { isSeverity, SEVERITIES, type Severity } from '../rules/severity.ts';
import { ConfigError } from './errors.ts';

/**
 * The audit policy file (`--config`, YAML or JSON): severity overrides, rules switched off,
 * exemptions, extra agent signatures, node pool labels. Every part is shown in
 * deploy/policy.example.yaml (docs/policy.md); its JSON Schema is made from the keys and
 * patterns below (policy-schema.ts).
 */
export interface PolicyConfig {
  rules: Record<string, { severity?: Severity; enabled?: boolean }>;
  exemptions: ExemptionRule[];
  agents: AgentSignature[];
  plan: { poolLabels: string[] };
}

export const POLICY_KEYS = ['rules', 'exemptions', 'agents', 'plan'] as const;
/** Names the file's JSON Schema for an editor; the audit reads nothing from it. */
const SCHEMA_KEY = '$schema';

export const RULE_SETTING_KEYS = ['severity', 'enabled'] as const;
export const EXEMPTION_KEYS = ['rule', 'resource', 'cluster', 'findingId', 'reason', 'expires'] as const;

/** A policy file is a few KB; a huge one is the wrong file, and reading it would fail obscurely. */
const MAX_POLICY_BYTES = 16 * 1024 * 1024;

export async function loadPolicyConfig(path: string): Promise<PolicyConfig> {
  let text: string;
  try {
    text = await readBoundedText(path, MAX_POLICY_BYTES);
  } catch (error) {
    if (error instanceof FileTooLarge)
      throw new ConfigError(
        path,
        `is ${Math.round(error.bytes / 1024 / 1024)} MB, more than a policy file can be (${MAX_POLICY_BYTES / 1024 / 1024} MB)`,
        'Is it the right file? --config takes the policy file (rules, exemptions, agents).',
      );
    throw new ConfigError(path, `cannot read the file (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new ConfigError(path, `not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  return parsePolicyConfig(parsed ?? {}, path);
}

export function parsePolicyConfig(input: unknown, origin: string): PolicyConfig {
  if (!isRecord(input)) throw new ConfigError(origin, 'the configuration must be a mapping');
  const unknownKeys = Object.keys(input).filter(
    (key) => !(POLICY_KEYS as readonly string[]).includes(key) && key !== SCHEMA_KEY,
  );
  if (unknownKeys.length > 0) {
    throw new ConfigError(
      origin,
      `unknown setting ${unknownKeys.join(', ')}`,
      `Known settings: ${POLICY_KEYS.join(', ')}.`,
    );
  }
  if (input[SCHEMA_KEY] !== undefined && typeof input[SCHEMA_KEY] !== 'string')
    throw new ConfigError(origin, `${SCHEMA_KEY} must be the schema's path or URL`);
  return {
    rules: parseRuleSettings(input.rules ?? {}, origin),
    exemptions: parseExemptions(input.exemptions ?? [], origin),
    agents: parseAgents(input.agents ?? [], origin),
    plan: parsePlanSettings(input.plan ?? {}, origin),
  };
}

/** A label key as Kubernetes accepts it: an optional DNS prefix and `/`, then a name of up to 63 characters. */
export const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

function parsePlanSettings(input: unknown, origin: string): PolicyConfig['plan'] {
  if (!isRecord(input)) throw new ConfigError(origin, 'plan must be a mapping (poolLabels)');
  const extra = Object.keys(input).filter((key) => key !== 'poolLabels');
  if (extra.length > 0)
    throw new ConfigError(origin, `plan: unknown setting ${extra.join(', ')}`, 'Known: poolLabels.');
  const labels = input.poolLabels ?? [];
  if (!Array.isArray(labels) || !labels.every((label) => typeof label === 'string' && LABEL_KEY.test(label)))
    throw new ConfigError(
      origin,
      'plan.poolLabels must be a list of node label keys',
      'For example: [acme.io/pool, node.kubernetes.io/instance-type].',
    );
  return { poolLabels: labels as string[] };
}

function parseRuleSettings(input: unknown, origin: string): PolicyConfig['rules'] {
  if (!isRecord(input)) throw new ConfigError(origin, 'rules must be a mapping of rule id to settings');
  const settings: PolicyConfig['rules'] = {};
  for (const [id, value] of Object.entries(input)) {
    if (!ruleById(id))
      throw new ConfigError(
        origin,
        `rules.${id}: no such rule`,
        'Run `dockershim-audit rules` to list them.',
      );
    if (!isRecord(value)) throw new ConfigError(origin, `rules.${id} must be a mapping (severity, enabled)`);
    const extra = Object.keys(value).filter((key) => !(RULE_SETTING_KEYS as readonly string[]).includes(key));
    if (extra.length > 0)
      throw new ConfigError(
        origin,
        `rules.${id}: unknown setting ${extra.join(', ')}`,
        `Known: ${RULE_SETTING_KEYS.join(', ')}.`,
      );
    const setting: { severity?: Severity; enabled?: boolean } = {};
    if (value.severity !== undefined) {
      if (!isSeverity(value.severity)) {
        throw new ConfigError(origin, `rules.${id}.severity must be one of ${SEVERITIES.join(', ')}`);
      }
      setting.severity = value.severity;
    }
    if (value.enabled !== undefined) {
      if (typeof value.enabled !== 'boolean')
        throw new ConfigError(origin, `rules.${id}.enabled must be true or false`);
      setting.enabled = value.enabled;
    }
    settings[id] = setting;
  }
  return settings;
}

function parseExemptions(input: unknown, origin: string): ExemptionRule[] {
  if (!Array.isArray(input)) throw new ConfigError(origin, 'exemptions must be a list');
  return input.map((entry, index) => {
    const where = `exemptions[${index}]`;
    if (!isRecord(entry)) throw new ConfigError(origin, `${where} must be a mapping`);
    const extra = Object.keys(entry).filter((key) => !(EXEMPTION_KEYS as readonly string[]).includes(key));
    if (extra.length > 0) throw new ConfigError(origin, `${where}: unknown field ${extra.join(', ')}`);
    const text = (key: string): string | undefined => {
      const value = entry[key];
      if (value === undefined) return undefined;
      // YAML reads 2027-03-31 as a date; accept it as the day it names.
      if (value instanceof Date && key === 'expires') return value.toISOString().slice(0, 10);
      if (typeof value !== 'string' || value.trim() === '')
        throw new ConfigError(origin, `${where}.${key} must be a string`);
      return value.trim();
    };
    const reason = text('reason');
    if (!reason)
      throw new ConfigError(
        origin,
        `${where}.reason is required`,
        'Every exemption says why it is accepted.',
      );
    const exemption: ExemptionRule = { reason };
    const rule = text('rule');
    if (rule !== undefined) {
      if (!ruleById(rule)) throw new ConfigError(origin, `${where}.rule: no such rule ${rule}`);
      exemption.rule = rule;
    }
    const resource = text('resource');
    if (resource !== undefined) {
      const problem = resourcePatternProblem(resource);
      if (problem) throw new ConfigError(origin, `${where}.resource ${problem}`, RESOURCE_HINT);
      exemption.resource = resource;
    }
    const cluster = text('cluster');
    if (cluster !== undefined) {
      if (/\s/.test(cluster)) throw new ConfigError(origin, `${where}.cluster must not contain spaces`);
      exemption.cluster = cluster;
    }
    const findingId = text('findingId');
    if (findingId !== undefined) {
      if (!FINDING_ID.test(findingId) || !ruleById(findingId.split('-')[0] ?? ''))
        throw new ConfigError(
          origin,
          `${where}.findingId is not a finding id: ${JSON.stringify(findingId)}`,
          'Copy it from the report: the rule and 16 hexadecimal digits, as DS001-0123456789abcdef.',
        );
      exemption.findingId = findingId;
    }
    const expires = text('expires');
    if (expires !== undefined) {
      if (!isCalendarDate(expires)) {
        throw new ConfigError(
          origin,
          `${where}.expires must be a date that exists (YYYY-MM-DD): ${expires}`,
          'Write the last day the exemption applies, such as 2027-02-28.',
        );
      }
      exemption.expires = expires;
    }
    // A resource pattern that matches every resource narrows nothing, however it is spelled.
    if (
      !exemption.rule &&
      !exemption.findingId &&
      (!exemption.resource || matchesEverything(exemption.resource))
    ) {
      throw new ConfigError(
        origin,
        `${where} must name a rule, a resource or a findingId${exemption.resource ? ` (resource ${exemption.resource} matches every resource)` : ''}`,
        'An exemption of everything is not an exemption.',
      );
    }
    return exemption;
  });
}

export const FINDING_ID = /^DS\d{3}-[0-9a-f]{16}$/;
const RESOURCE_HINT =
  'Kind/namespace/name as the report writes it (DaemonSet/logging/fluentd), * as a wildcard, Kind//name for cluster-scoped objects.';

/** Why a resource pattern cannot be meant, or undefined when it can. */
function resourcePatternProblem(pattern: string): string | undefined {
  if (/\s/.test(pattern)) return 'must not contain spaces';
  const [kind = '', namespace = '', name = '', ...rest] = pattern.split('/');
  if (rest.length > 0 || pattern.split('/').length !== 3) return 'must be Kind/namespace/name';
  // A kind is written as Kubernetes writes it; `daemonset` would quietly match nothing.
  if (!/^[A-Z*][A-Za-z0-9*]*$/.test(kind)) return `has a kind Kubernetes does not write: "${kind}"`;
  if (!/^[a-z0-9*-]*$/.test(namespace)) return `has a namespace Kubernetes does not allow: "${namespace}"`;
  if (name === '') return 'must name the resource (or use *)';
  return undefined;
}

// Whether a (valid) pattern matches every resource: wildcards only, in kind, namespace and
// name, however many (`*/*/*`, `**/*/*`). `*//*` is narrower: cluster-scoped objects only.
function matchesEverything(pattern: string): boolean {
  return pattern.split('/').every((part) => /^\*+$/.test(part));
}

/** A real day: `2027-02-31` is refused, where Date.parse would move it to March. */
function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

function parseAgents(input: unknown, origin: string): AgentSignature[] {
  try {
    return parseAgentSignatures(input, origin);
  } catch (error) {
    if (error instanceof AgentCatalogError)
      throw new ConfigError(origin, error.message.replace(`${origin}: `, ''));
    throw error;
  }
}

/** The policy a config file describes, on top of the defaults. */
export function applyPolicyConfig(base: AuditPolicy, config: PolicyConfig): AuditPolicy {
  const severityOverrides: Record<string, Severity> = { ...base.severityOverrides };
  const disabled = new Set<string>();
  for (const [id, setting] of Object.entries(config.rules)) {
    if (setting.severity) severityOverrides[id] = setting.severity;
    if (setting.enabled === false) disabled.add(id);
  }
  return {
    ...base,
    rules: base.rules.filter((rule) => !disabled.has(rule.id)),
    severityOverrides,
    exemptions: [...base.exemptions, ...config.exemptions],
    agents: extendAgentCatalog(base.agents, config.agents),
    poolLabels: [
      ...config.plan.poolLabels,
      ...base.poolLabels.filter((label) => !config.plan.poolLabels.includes(label)),
    ],
  };
}
