import { type ResourceRef, resourceKey } from '../kube/objects.ts';
import type { AgentGuidance } from '../rules/agents/agent-catalog.ts';
import type { Evidence } from '../rules/rule.ts';
import { type Severity, severityRank } from '../rules/severity.ts';
import type { Migration, RuntimeCategory } from './migration.ts';

/**
 * The canonical report (`report.json`). HTML and Markdown are renders of it; anything a
 * template shows is computed here, never in a template. `report.schema.json` is its contract.
 */
export const SCHEMA_VERSION = 1;
export const TOOL_NAME = 'dockershim-audit';

export interface Exemption {
  reason: string;
  expires?: string;
}

export interface Finding {
  /** Stable across runs: cluster, rule, resource, container and evidence, never pod suffixes or times. */
  id: string;
  rule: string;
  severity: Severity;
  title: string;
  message: string;
  /** The top-level owner (Deployment, not ReplicaSet or Pod; CronJob, not Job). */
  resource: ResourceRef;
  container?: string;
  evidence: Evidence;
  agent?: AgentGuidance;
  remediation: string;
  references: string[];
  /** Set when config exempts the finding; exempt findings do not count in verdicts or summaries. */
  exemption?: Exemption;
}

/** The order of findings in every report and diff: most severe first, then resource, rule and id. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    resourceKey(a.resource).localeCompare(resourceKey(b.resource)) ||
    a.rule.localeCompare(b.rule) ||
    a.id.localeCompare(b.id)
  );
}

export interface NodeReport {
  name: string;
  runtime: string;
  runtimeVersion: string;
  kubeletVersion: string;
  dockerEngine: boolean;
  /** Docker Engine through the kubelet's dockershim (kubelet before 1.24): an upgrade blocker. */
  dockershim: boolean;
  /** How the plan and the reports group it: Docker Engine is told apart by its bridge. */
  runtimeCategory: RuntimeCategory;
}

export interface WorkloadReport {
  resource: ResourceRef;
  /** Highest severity of the workload's findings that are not exempt. */
  verdict: Severity;
  findings: string[];
  agent?: { vendor: string; product: string };
}

export const ClusterStatus = { complete: 'complete', partial: 'partial', failed: 'failed' } as const;
export type ClusterStatus = (typeof ClusterStatus)[keyof typeof ClusterStatus];

export interface CollectionError {
  /** What could not be read: a file (with its line), a resource list, a rule on an object. */
  source: string;
  message: string;
  line?: number;
}

export type ClusterSourceInfo =
  | { type: 'manifests'; paths: string[] }
  | {
      type: 'kubernetes';
      context?: string;
      server?: string;
      serverVersion?: string;
      identity?: string;
      /** Set when the server's certificate was not verified (the kubeconfig's insecure-skip-tls-verify). */
      insecureSkipTlsVerify?: true;
    };

/** How the report says that a cluster was read without checking its certificate. */
export function insecureSourceNote(cluster: string): string {
  return `Cluster ${cluster} was read with insecure-skip-tls-verify: its server's certificate was not checked, so the findings may come from any server that answered at its address, and the credentials went to it.`;
}

export interface SeverityCounts {
  critical: number;
  high: number;
  medium: number;
  low: number;
  info: number;
}

export interface ClusterSummary {
  bySeverity: SeverityCounts;
  /** Resources other than nodes whose verdict is above info. */
  workloadsAffected: number;
  nodesOnDocker: number;
  exempted: number;
}

export interface ClusterReport {
  name: string;
  source: ClusterSourceInfo;
  status: ClusterStatus;
  errors: CollectionError[];
  /**
   * What the reader should know about how the cluster was read that is not an error: objects
   * without a name and the stand-in they are reported under, symbolic links followed, documents
   * that held no object. Absent when there is nothing to say.
   */
  notes?: string[];
  /** Objects read, by kind. */
  objects: Record<string, number>;
  nodes: NodeReport[];
  workloads: WorkloadReport[];
  findings: Finding[];
  summary: ClusterSummary;
  /** The migration plan (lambda/plan/). Absent only in reports written before there was one. */
  migration?: Migration;
}

export interface FleetSummary extends ClusterSummary {
  clusters: Record<ClusterStatus, number>;
  nodes: { total: number; byRuntime: Record<string, number> };
}

export interface Report {
  schemaVersion: typeof SCHEMA_VERSION;
  runId: string;
  generatedAt: string;
  tool: { name: typeof TOOL_NAME; version: string; rulesVersion: string };
  /** Who ran the audit: the AWS identity in Lambda, the local user and kube context in the CLI. */
  identity?: string;
  clusters: ClusterReport[];
  summary: FleetSummary;
  /** Things the reader should know that are not collection errors (an expired exemption, ...). */
  warnings: string[];
}

/**
 * What changed since the previous run, per cluster and for the fleet. This is `diff.json`,
 * kept beside each run's reports, and exactly the document the generic webhook posts.
 */
export const DIFF_EVENT = 'dockershim-audit.diff';

export interface SeverityChange {
  finding: Finding;
  from: Severity;
}

export interface ClusterDiff {
  name: string;
  status: ClusterStatus;
  /** The cluster's status in the previous run; absent when it was not in that run. */
  previousStatus?: ClusterStatus;
  /** The run this cluster is compared with; absent when there is none (the cluster's baseline). */
  previousRunId?: string;
  /** Findings whose id was not in the previous run. */
  new: Finding[];
  /**
   * Findings of the previous run whose id is gone. Always empty when this run or the previous
   * one could not read the cluster completely: absence of evidence is not evidence of a fix.
   */
  resolved: Finding[];
  /** How many findings are in both runs. */
  unchanged: number;
  severityChanged: SeverityChange[];
  /**
   * Nodes that ran Docker Engine in the last complete reading and no longer do. Like every claim
   * of progress, only made from a complete reading compared with a complete reading.
   */
  nodesLeftDocker: string[];
  /** Pools of the plan that were blocked (or unverified) in the last complete reading and are ready now. */
  poolsBecameReady: string[];
  /** Why no progress is claimed (an incomplete reading now, or no complete one to compare with). */
  progressWithheld?: string;
  /** Why `resolved` is withheld, when it is. */
  resolvedWithheld?: string;
}

export interface DiffDocument {
  event: typeof DIFF_EVENT;
  runId: string;
  previousRunId?: string;
  generatedAt: string;
  /** Link to the full report (a presigned URL for S3 stores). Only in messages, never in the stored diff.json. */
  reportUrl?: string;
  /** When the link stops working at the latest (ISO 8601). */
  reportUrlExpiresAt?: string;
  /** What bounds it: the expiry asked for, the signing credentials' expiry, or an unknown session end (it may stop earlier). */
  reportUrlExpiry?: 'requested' | 'credentials' | 'session';
  /** True when there was no previous run to compare with: every finding is new. */
  baseline: boolean;
  clusters: ClusterDiff[];
  summary: {
    new: number;
    resolved: number;
    unchanged: number;
    newBySeverity: SeverityCounts;
    resolvedBySeverity: SeverityCounts;
  };
  /** Why the comparison is limited (previous run unreadable, clusters incomplete, ...). */
  notes: string[];
}

/** A run's link to the run before it: named in the reports' evidence footer, kept in the evidence manifest. */
export interface ManifestLink {
  runId: string;
  /** SHA-256 of the previous run's manifest.json, byte for byte as stored. */
  manifestSha256: string;
}
