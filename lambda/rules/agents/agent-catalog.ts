import { isRecord } from '../../kube/objects.ts';
import { memoise, perObject } from '../lib/memoise.ts';
import BUNDLED_AGENTS from './agents.json' with { type: 'json' };

/**
 * Vendor knowledge as data: how to recognise an agent (workload names, image repositories)
 * and what its vendor says to do about Docker Engine. Users add their own entries in config.
 */
export interface AgentSignature {
  id: string;
  vendor: string;
  product: string;
  /** Workload names, matched as whole `-`/`.`-separated tokens inside the name ("falco" matches "falco-exporter", not "falcon"). */
  names: string[];
  /** Image repositories, matched as a path suffix ("datadoghq/agent" matches "gcr.io/datadoghq/agent:7"). */
  images: string[];
  /**
   * Names of the ConfigMaps that configure the agent. A live audit keeps these in every
   * namespace, beside the ConfigMaps that the audited workloads refer to.
   */
  configMaps: string[];
  guidance: string;
  references: string[];
}

/** What a finding carries about the agent. */
export interface AgentGuidance {
  vendor: string;
  product: string;
  guidance: string;
  references: string[];
}

export interface AgentCatalog {
  agents: readonly AgentSignature[];
}

/** Every field of a signature; another is a typo that would otherwise be ignored. */
export const AGENT_SIGNATURE_KEYS = [
  'id',
  'vendor',
  'product',
  'names',
  'images',
  'configMaps',
  'guidance',
  'references',
] as const satisfies ReadonlyArray<keyof AgentSignature>;

export class AgentCatalogError extends Error {
  override name = 'AgentCatalogError';
}

export function bundledAgentCatalog(): AgentCatalog {
  return { agents: parseAgentSignatures(BUNDLED_AGENTS, 'bundled agents.json') };
}

/** User entries come first so that they can refine a bundled signature. */
export function extendAgentCatalog(catalog: AgentCatalog, extra: readonly AgentSignature[]): AgentCatalog {
  return { agents: [...extra, ...catalog.agents] };
}

export function parseAgentSignatures(input: unknown, origin: string): AgentSignature[] {
  if (!Array.isArray(input)) throw new AgentCatalogError(`${origin}: agents must be a list`);
  return input.map((entry, index) => {
    const where = `${origin}: agents[${index}]`;
    if (!isRecord(entry)) throw new AgentCatalogError(`${where} must be an object`);
    const extra = Object.keys(entry).filter(
      (key) => !(AGENT_SIGNATURE_KEYS as readonly string[]).includes(key),
    );
    if (extra.length > 0)
      throw new AgentCatalogError(
        `${where}: unknown field ${extra.join(', ')} (known: ${AGENT_SIGNATURE_KEYS.join(', ')})`,
      );
    const text = (key: string): string => {
      const value = entry[key];
      if (typeof value !== 'string' || value.trim() === '')
        throw new AgentCatalogError(`${where}.${key} must be a non-empty string`);
      return value;
    };
    const list = (key: string): string[] => {
      const value = entry[key] ?? [];
      if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
        throw new AgentCatalogError(`${where}.${key} must be a list of strings`);
      return value as string[];
    };
    const signature: AgentSignature = {
      id: text('id'),
      vendor: text('vendor'),
      product: text('product'),
      names: list('names').map((name) => name.toLowerCase()),
      images: list('images').map((image) => image.toLowerCase()),
      configMaps: list('configMaps'),
      guidance: text('guidance'),
      references: list('references'),
    };
    if (signature.names.length === 0 && signature.images.length === 0)
      throw new AgentCatalogError(`${where} needs at least one of names or images to match on`);
    return signature;
  });
}

interface CompiledCatalog {
  /** Image pattern → agent, checked against each path suffix of a repository. */
  images: Map<string, AgentSignature>;
  /** Name patterns as token lists, indexed by their first token. */
  names: Map<string, Array<{ tokens: string[]; agent: AgentSignature }>>;
}

/** Matching runs for every pod of a cluster: patterns are prepared once per catalog. */
const compiled = perObject((catalog: AgentCatalog): CompiledCatalog => {
  const entry: CompiledCatalog = { images: new Map(), names: new Map() };
  for (const agent of catalog.agents) {
    for (const pattern of agent.images) if (!entry.images.has(pattern)) entry.images.set(pattern, agent);
    for (const pattern of agent.names) {
      const tokens = pattern.split(/[-.]/);
      const first = tokens[0] ?? '';
      entry.names.set(first, [...(entry.names.get(first) ?? []), { tokens, agent }]);
    }
  }
  return entry;
});

export function matchAgent(
  catalog: AgentCatalog,
  names: readonly string[],
  images: readonly string[],
): AgentSignature | undefined {
  const { images: byImage, names: byName } = compiled(catalog);
  const candidates: AgentSignature[] = [];
  for (const image of images) {
    // "gcr.io/datadoghq/agent" matches the patterns "gcr.io/datadoghq/agent", "datadoghq/agent" and "agent".
    const segments = imageRepository(image).split('/');
    for (let start = 0; start < segments.length; start++) {
      const agent = byImage.get(segments.slice(start).join('/'));
      if (agent) candidates.push(agent);
    }
  }
  for (const name of names) {
    const tokens = name.toLowerCase().split(/[-.]/);
    tokens.forEach((token, start) => {
      for (const pattern of byName.get(token) ?? []) {
        if (pattern.tokens.every((expected, offset) => tokens[start + offset] === expected))
          candidates.push(pattern.agent);
      }
    });
  }
  // The catalog's order decides between candidates: user entries come first.
  return candidates.length === 0 ? undefined : catalog.agents.find((agent) => candidates.includes(agent));
}

/** Every ConfigMap name the catalog's agents are configured through, sorted, each once. */
export function agentConfigMapNames(catalog: AgentCatalog): string[] {
  return [...new Set(catalog.agents.flatMap((agent) => agent.configMaps))].sort();
}

export function guidanceOf(agent: AgentSignature): AgentGuidance {
  return {
    vendor: agent.vendor,
    product: agent.product,
    guidance: agent.guidance,
    references: agent.references,
  };
}

/** The guidance of a catalog entry by id, for rules that know which vendor's config they read. */
export function vendorGuidance(catalog: AgentCatalog, id: string): AgentGuidance | undefined {
  const agent = catalog.agents.find((entry) => entry.id === id);
  return agent ? guidanceOf(agent) : undefined;
}

/** `registry:5000/org/repo:tag@sha256:...` → `registry:5000/org/repo`, lower-case. */
export const imageRepository = memoise(repositoryOf);

function repositoryOf(image: string): string {
  const withoutDigest = image.split('@')[0] ?? '';
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  return (colon === -1 ? withoutDigest : withoutDigest.slice(0, colon)).toLowerCase();
}
