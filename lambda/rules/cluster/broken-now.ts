import { References } from '../references.ts';
import type { ClusterRule, Detection } from '../rule.ts';
import { Severity } from '../severity.ts';

const MAX_NODES_IN_EVIDENCE = 20;

export const brokenNow: ClusterRule = {
  id: 'DS050',
  title: 'Needs Docker Engine on a node that does not run it (broken now)',
  severity: Severity.critical,
  target: 'cluster',
  dependsOn: ['DS001', 'DS004', 'DS010'],
  rationale:
    "Pods of the workload need the node's Docker Engine but run on nodes with containerd or CRI-O: whatever they do with Docker is failing now, often silently (no metrics, no logs, no security events).",
  remediation:
    "Fix the workload's Docker dependency first (see its other findings), or keep it off nodes without Docker Engine with a nodeSelector or node affinity until it is fixed.",
  references: [References.identifyDockerDependency, References.findRuntime],
  detect({ socketUsers, dockerNodes }) {
    const detections: Detection[] = [];
    for (const user of socketUsers) {
      const withoutDocker = user.nodes.filter((node) => dockerNodes.get(node) === false).sort();
      if (withoutDocker.length === 0) continue;
      const what = user.hostPath ?? user.endpoint ?? 'Docker Engine';
      const shown = withoutDocker.slice(0, 5).join(', ');
      const more = withoutDocker.length > 5 ? ` and ${withoutDocker.length - 5} more` : '';
      // A hostPath of type Socket is checked before the pod starts: those pods never start there.
      const state =
        user.hostPathType === 'Socket'
          ? `cannot start (hostPath type Socket) on ${withoutDocker.length} node(s) without Docker Engine`
          : `run on ${withoutDocker.length} node(s) without Docker Engine`;
      const detection: Detection = {
        resource: user.resource,
        message: `Pods that need ${what} ${state}: ${shown}${more}.`,
        evidence: { nodes: withoutDocker.slice(0, MAX_NODES_IN_EVIDENCE), nodeCount: withoutDocker.length },
      };
      if (user.container !== undefined) detection.container = user.container;
      if (user.hostPath !== undefined) detection.evidence.hostPath = user.hostPath;
      if (user.hostPathType !== undefined) detection.evidence.hostPathType = user.hostPathType;
      if (user.endpoint !== undefined) detection.evidence.endpoint = user.endpoint;
      detections.push(detection);
    }
    return detections;
  },
};
