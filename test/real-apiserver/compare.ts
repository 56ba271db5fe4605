import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import { auditCluster } from '../../lambda/audit/run-fleet.ts';
import { AUDITED_RESOURCES } from '../../lambda/collect/kube/discovery.ts';
import type { KubernetesSourceOptions } from '../../lambda/collect/kubernetes-source.ts';
import { ManifestSource } from '../../lambda/collect/manifest-source.ts';
import { isRecord } from '../../lambda/kube/objects.ts';
import type { ClusterReport } from '../../lambda/report/model.ts';
import { agentConfigMapNames, bundledAgentCatalog } from '../../lambda/rules/agents/agent-catalog.ts';
import { auditLive, FAST_RETRY } from '../helpers/live.ts';

type Json = Record<string, unknown>;

const LISTED_KINDS = new Set(AUDITED_RESOURCES.map((wanted) => wanted.kind));
const READ_CONFIGMAPS = new Set(agentConfigMapNames(bundledAgentCatalog()));

/**
 * What a live audit is meant to read of these objects: the kinds it lists, and the ConfigMaps
 * named in the agent catalog (deploy/rbac.yaml grants no others). A manifest audit of exactly
 * these must say what the live audit says.
 */
export function readByLiveAudit(object: Json): boolean {
  const kind = String(object.kind);
  if (kind === 'ConfigMap')
    return isRecord(object.metadata) && READ_CONFIGMAPS.has(String(object.metadata.name));
  return LISTED_KINDS.has(kind);
}

/**
 * The audit through the real client and a real server. A real server on two shared cores can
 * take seconds for a page: requests get the default idle timeout rather than the fault tests'.
 */
export function auditRealServer(
  kubeconfig: string,
  overrides: Partial<KubernetesSourceOptions> = {},
): Promise<ClusterReport> {
  return auditLive(kubeconfig, { retry: { ...FAST_RETRY, requestTimeoutMs: 60_000 }, ...overrides });
}

/** The same audit over the same objects, read from a manifest file. */
export async function auditAsManifests(objects: readonly Json[]): Promise<ClusterReport> {
  const dir = await mkdtemp(join(tmpdir(), 'dsa-real-manifests-'));
  const file = join(dir, 'objects.json');
  await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  return auditCluster(new ManifestSource('demo', [file]), defaultPolicy(new Date('2026-11-22T00:00:00Z')));
}

/** What both audits must agree on: everything but where the objects came from. */
export function conclusions(report: ClusterReport) {
  const { objects, nodes, workloads, findings, summary } = report;
  return { objects, nodes, workloads, findings, summary };
}
