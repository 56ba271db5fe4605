import { HostPathClass } from '../lib/host-paths.ts';
import { describeContainer, describeMount, hostMountsOf, mountEvidence } from '../lib/mounts.ts';
import { describeSelection, dockerSelectionsOf } from '../lib/runtime-selection.ts';
import { References } from '../references.ts';
import type { Detection, WorkloadRule } from '../rule.ts';
import { Severity } from '../severity.ts';

export const dockerSelectedByName: WorkloadRule = {
  id: 'DS010',
  title: 'Selects Docker Engine by name',
  severity: Severity.high,
  target: 'workload',
  rationale:
    "A flag or environment variable chooses Docker as the container runtime (--runtime docker, CONTAINER_RUNTIME=docker) and the container can reach the Docker socket: it uses Docker Engine even when it also mounts other runtimes' sockets, so it breaks when the node leaves Docker.",
  remediation:
    "Set the runtime to the node's CRI runtime (containerd or cri-o), or to automatic detection where the software offers it, and mount that runtime's socket; then remove the Docker socket mount.",
  references: [References.identifyDockerDependency, References.agentMigration],
  detect({ view }) {
    const reach = hostMountsOf(view, [HostPathClass.dockerSocket, HostPathClass.socketParent]);
    const detections: Detection[] = [];
    for (const selection of dockerSelectionsOf(view)) {
      // Only where the same container can reach the node's Docker socket: without it the
      // setting fails on every node and says nothing about the move away from Docker.
      const route = reach.find((found) => found.container === selection.container);
      if (!route) continue;
      detections.push({
        container: selection.container.name,
        message: `The ${describeContainer(selection.container)} selects Docker Engine by name in its ${describeSelection(selection)} and reaches the node's Docker socket through ${describeMount(route.mount)}.`,
        evidence: { ...selection.origin, ...mountEvidence(route.mount, selection.container.image) },
      });
    }
    return detections;
  },
};
