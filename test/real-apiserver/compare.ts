import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import { auditCluster } from '../../lambda/audit/run-fleet.ts';
import { AUDITED_RESOURCES, CONFIGMAPS } from '../../lambda/collect/kube/discovery.ts';
import type { KubernetesSourceOptions } from '../../lambda/collect/kubernetes-source.ts';
import { ManifestSource } from '../../lambda/collect/manifest-source.ts';
import type { ClusterReport } from '../../lambda/report/model.ts';
import { auditLive, FAST_RETRY } from '../helpers/live.ts';

type Json = Record<string, unknown>;

const LISTED_KINDS = new Set([...AUDITED_RESOURCES, CONFIGMAPS].map((wanted) => wanted.kind));

/**
 * What a live audit lists of these objects: the kinds it reads, ConfigMaps included (it keeps
 * those the workloads refer to and those agents are configured by, and drops the rest). A
 * manifest audit of exactly these must find what the live audit finds: a ConfigMap with a
 * finding that the live audit dropped would show as a difference.
 */
export function readByLiveAudit(object: Json): boolean {
  return LISTED_KINDS.has(String(object.kind));
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

/**
 * What both audits must agree on: everything but where the objects came from, and how many
 * ConfigMaps were kept (the live audit keeps only those it needs). The migration plan too: its
 * pools, blockers and drain risks come from the same Nodes, Pods and PodDisruptionBudgets.
 */
export function conclusions(report: ClusterReport) {
  const { objects, nodes, workloads, findings, summary, migration } = report;
  const { ConfigMap: _kept, ...read } = objects;
  return { objects: read, nodes, workloads, findings, summary, migration };
}
