import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { AuditPolicy, ExemptionRule } from '../audit/policy.ts';
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
 * The audit policy file (`--config`, YAML or JSON):
 *
 * ```yaml
 * rules:
 *   DS007: { severity: info }     # override a rule's severity
 *   DS042: { enabled: false }     # switch a rule off
 * exemptions:
 *   - rule: DS005
 *     resource: DaemonSet/falco/falco   # Kind/namespace/name, * as a wildcard
 *     cluster: prod-*
 *     reason: Falco reads containerd; docker.sock stays until the last Docker node is gone
 *     expires: 2027-03-31
 * agents:                         # extra vendor signatures, same shape as rules/agents/agents.json
 *   - { id: acme, vendor: ACME, product: Sensor, names: [acme-sensor], images: [acme/sensor], guidance: ..., references: [] }
 * ```
 */
export interface PolicyConfig {
  rules: Record<string, { severity?: Severity; enabled?: boolean }>;
  exemptions: ExemptionRule[];
  agents: AgentSignature[];
}

const EXEMPTION_KEYS = new Set(['rule', 'resource', 'cluster', 'findingId', 'reason', 'expires']);

export async function loadPolicyConfig(path: string): Promise<PolicyConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
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
  const unknownKeys = Object.keys(input).filter((key) => !['rules', 'exemptions', 'agents'].includes(key));
  if (unknownKeys.length > 0) {
    throw new ConfigError(
      origin,
      `unknown setting ${unknownKeys.join(', ')}`,
      'Known settings: rules, exemptions, agents.',
    );
  }
  return {
    rules: parseRuleSettings(input.rules ?? {}, origin),
    exemptions: parseExemptions(input.exemptions ?? [], origin),
    agents: parseAgents(input.agents ?? [], origin),
  };
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
    const extra = Object.keys(entry).filter((key) => !EXEMPTION_KEYS.has(key));
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
      if (resource.split('/').length !== 3) {
        throw new ConfigError(
          origin,
          `${where}.resource must be Kind/namespace/name`,
          'Use Kind//name for cluster-scoped objects.',
        );
      }
      exemption.resource = resource;
    }
    const cluster = text('cluster');
    if (cluster !== undefined) exemption.cluster = cluster;
    const findingId = text('findingId');
    if (findingId !== undefined) exemption.findingId = findingId;
    const expires = text('expires');
    if (expires !== undefined) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(expires) || Number.isNaN(Date.parse(expires))) {
        throw new ConfigError(origin, `${where}.expires must be a date (YYYY-MM-DD)`);
      }
      exemption.expires = expires;
    }
    if (!exemption.rule && !exemption.resource && !exemption.findingId) {
      throw new ConfigError(
        origin,
        `${where} must name a rule, a resource or a findingId`,
        'An exemption of everything is not an exemption.',
      );
    }
    return exemption;
  });
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
  };
}
