import { type ResourceRef, resourceKey } from '../kube/objects.ts';
import type { NodeRuntime } from '../rules/lib/node-runtime.ts';
import { emptySeverityCounts, highest, severityRank } from '../rules/severity.ts';
import { runtimeCategory } from './migration.ts';
import type { ClusterReport, Finding, NodeReport, WorkloadReport } from './model.ts';

/**
 * A cluster's findings and nodes as the report lists them: workloads with their verdicts, nodes
 * with their runtime, and the counts. Pure: the audit calls it when a cluster is finished.
 */

/** Findings grouped by the resource they belong to, with its verdict: the most severe first. */
export function workloadsOf(findings: Finding[]): WorkloadReport[] {
  const byResource = new Map<string, { resource: ResourceRef; findings: Finding[] }>();
  for (const finding of findings) {
    const key = resourceKey(finding.resource);
    const entry = byResource.get(key) ?? { resource: finding.resource, findings: [] };
    entry.findings.push(finding);
    byResource.set(key, entry);
  }
  const workloads: WorkloadReport[] = [];
  for (const { resource, findings: own } of byResource.values()) {
    const counted = own.filter((finding) => !finding.exemption);
    const verdict = highest(counted.map((finding) => finding.severity));
    if (!verdict) continue; // every finding exempt
    const workload: WorkloadReport = { resource, verdict, findings: own.map((finding) => finding.id) };
    const agent = own.find((finding) => finding.agent)?.agent;
    if (agent) workload.agent = { vendor: agent.vendor, product: agent.product };
    workloads.push(workload);
  }
  return workloads.sort(
    (a, b) =>
      severityRank(b.verdict) - severityRank(a.verdict) ||
      resourceKey(a.resource).localeCompare(resourceKey(b.resource)),
  );
}

export function nodeReport(node: NodeRuntime): NodeReport {
  return {
    name: node.name,
    runtime: node.runtime,
    runtimeVersion: node.runtimeVersion,
    kubeletVersion: node.kubeletVersion,
    dockerEngine: node.dockerEngine,
    dockershim: node.dockershim,
    runtimeCategory: runtimeCategory(node),
  };
}

export function summarise(findings: Finding[], nodes: NodeRuntime[]): ClusterReport['summary'] {
  const bySeverity = emptySeverityCounts();
  const affected = new Set<string>();
  let exempted = 0;
  for (const finding of findings) {
    if (finding.exemption) {
      exempted++;
      continue;
    }
    bySeverity[finding.severity]++;
    if (finding.severity !== 'info' && finding.resource.kind !== 'Node')
      affected.add(resourceKey(finding.resource));
  }
  return {
    bySeverity,
    workloadsAffected: affected.size,
    nodesOnDocker: nodes.filter((node) => node.dockerEngine).length,
    exempted,
  };
}
