import { isRecord } from '../../kube/objects.ts';
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
   * Names of the ConfigMaps that configure the agent. A live audit reads only these (in every
   * namespace), so its identity never needs to read every ConfigMap of the cluster.
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

export function matchAgent(
  catalog: AgentCatalog,
  names: readonly string[],
  images: readonly string[],
): AgentSignature | undefined {
  const repositories = images.map(imageRepository);
  const tokenised = names.map((name) => name.toLowerCase().split(/[-.]/));
  return catalog.agents.find(
    (agent) =>
      agent.images.some((pattern) =>
        repositories.some((repo) => repo === pattern || repo.endsWith(`/${pattern}`)),
      ) ||
      agent.names.some((pattern) =>
        tokenised.some((tokens) => containsTokens(tokens, pattern.split(/[-.]/))),
      ),
  );
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
export function imageRepository(image: string): string {
  const withoutDigest = image.split('@')[0] ?? '';
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  return (colon === -1 ? withoutDigest : withoutDigest.slice(0, colon)).toLowerCase();
}

function containsTokens(haystack: readonly string[], needle: readonly string[]): boolean {
  if (needle.length === 0) return false;
  for (let start = 0; start + needle.length <= haystack.length; start++) {
    if (needle.every((token, offset) => haystack[start + offset] === token)) return true;
  }
  return false;
}
