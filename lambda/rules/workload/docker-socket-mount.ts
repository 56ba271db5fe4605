import { HostPathClass } from '../lib/host-paths.ts';
import {
  describeContainer,
  describeMount,
  hostMountsOf,
  mountEvidence,
  mountsOtherRuntimeSocket,
  requiresSocket,
  withoutDockerEffect,
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
    'The socket (docker.sock, dockershim.sock, cri-dockerd.sock or the Windows docker_engine pipe) only exists while the node runs Docker Engine; the workload breaks when the node moves to containerd or CRI-O. With a hostPath of type Socket the pod does not even start there; other types leave an empty directory in its place.',
  remediation:
    "Talk to the node's CRI runtime instead (containerd: /run/containerd/containerd.sock, CRI-O: /var/run/crio/crio.sock) or to the Kubernetes API, and remove the Docker socket volume. Upgrade vendor agents to a version that supports the new runtime.",
  references: [References.identifyDockerDependency, References.agentMigration],
  detect({ view }) {
    // An agent that also mounts another runtime's socket works without Docker (DS005), unless
    // the kubelet must find the Docker socket before it starts the pod at all.
    const multiRuntime = mountsOtherRuntimeSocket(view);
    return hostMountsOf(view, [HostPathClass.dockerSocket])
      .filter(({ mount }) => !multiRuntime || requiresSocket(mount))
      .map(({ container, mount }) => ({
        container: container.name,
        message: `The ${describeContainer(container)} mounts the node's Docker socket ${describeMount(mount)}. ${withoutDockerEffect(mount)}`,
        evidence: mountEvidence(mount, container.image),
      }));
  },
};
