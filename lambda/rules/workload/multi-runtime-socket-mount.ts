import { HostPathClass } from '../lib/host-paths.ts';
import {
  describeContainer,
  describeMount,
  hostMountsOf,
  mountEvidence,
  mountsOtherRuntimeSocket,
  requiresSocket,
} from '../lib/mounts.ts';
import { dockerSelectionsOf } from '../lib/runtime-selection.ts';
import { References } from '../references.ts';
import type { WorkloadRule } from '../rule.ts';
import { Severity } from '../severity.ts';

export const multiRuntimeSocketMount: WorkloadRule = {
  id: 'DS005',
  title: 'Mounts the Docker socket beside other runtime sockets',
  severity: Severity.low,
  target: 'workload',
  rationale:
    'The workload also mounts a containerd, CRI-O or podman socket: it is built to find whichever runtime the node has, so it keeps working when Docker Engine leaves.',
  remediation:
    'Nothing is needed for the move. Once no node runs Docker Engine, drop the Docker socket mount to reduce what the workload can reach.',
  references: [References.agentMigration],
  detect({ view }) {
    if (!mountsOtherRuntimeSocket(view)) return [];
    // A Docker socket of type Socket stops the pod from starting without Docker (DS001), and a
    // container that selects Docker by name does not find another runtime (DS010).
    const selecting = new Set(dockerSelectionsOf(view).map((selection) => selection.container));
    return hostMountsOf(view, [HostPathClass.dockerSocket])
      .filter(({ container, mount }) => !requiresSocket(mount) && !selecting.has(container))
      .map(({ container, mount }) => ({
        container: container.name,
        message: `The ${describeContainer(container)} mounts the Docker socket ${describeMount(mount)}, beside the sockets of other runtimes.`,
        evidence: mountEvidence(mount, container.image),
      }));
  },
};
