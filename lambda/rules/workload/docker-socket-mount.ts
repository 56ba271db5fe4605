import { HostPathClass } from '../lib/host-paths.ts';
import {
  describeContainer,
  describeMount,
  hostMountsOf,
  mountEvidence,
  mountsOtherRuntimeSocket,
} from '../lib/mounts.ts';
import { References } from '../references.ts';
import type { WorkloadRule } from '../rule.ts';
import { Severity } from '../severity.ts';

export const dockerSocketMount: WorkloadRule = {
  id: 'DS001',
  title: "Mounts the node's Docker Engine socket",
  severity: Severity.high,
  target: 'workload',
  rationale:
    'The socket (docker.sock, dockershim.sock, cri-dockerd.sock or the Windows docker_engine pipe) only exists while the node runs Docker Engine; the workload breaks when the node moves to containerd or CRI-O.',
  remediation:
    "Talk to the node's CRI runtime instead (containerd: /run/containerd/containerd.sock, CRI-O: /var/run/crio/crio.sock) or to the Kubernetes API, and remove the Docker socket volume. Upgrade vendor agents to a version that supports the new runtime.",
  references: [References.identifyDockerDependency, References.agentMigration],
  detect({ view }) {
    // An agent that also mounts another runtime's socket works without Docker: DS005 reports it.
    if (mountsOtherRuntimeSocket(view)) return [];
    return hostMountsOf(view, [HostPathClass.dockerSocket]).map(({ container, mount }) => ({
      container: container.name,
      message: `The ${describeContainer(container)} mounts the node's Docker socket ${describeMount(mount)}.`,
      evidence: mountEvidence(mount, container.image),
    }));
  },
};
