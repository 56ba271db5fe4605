import { describeOrigin, dockerEndpointsOf, endpointEvidence } from '../lib/docker-endpoints.ts';
import { describeContainer } from '../lib/mounts.ts';
import { References } from '../references.ts';
import type { WorkloadRule } from '../rule.ts';
import { Severity } from '../severity.ts';

export const dockerEndpointConfig: WorkloadRule = {
  id: 'DS004',
  title: "Points a client at the node's Docker Engine",
  severity: Severity.high,
  target: 'workload',
  rationale:
    "An environment variable or argument (DOCKER_HOST, CONTAINER_RUNTIME_ENDPOINT, --docker=..., a socket path) leads, through the container's own mounts, to the node's Docker socket or Docker's TCP port; the workload is configured to use Docker Engine.",
  remediation:
    "Change the setting to the node's CRI socket (unix:///run/containerd/containerd.sock or unix:///var/run/crio/crio.sock) if the software supports it, or remove it; then remove the mount that exposed the Docker socket.",
  references: [References.identifyDockerDependency, References.agentMigration],
  detect({ view }) {
    return dockerEndpointsOf(view)
      .filter((use) => use.target === 'node')
      .map((use) => ({
        container: use.container.name,
        message:
          use.hostPath !== undefined
            ? `The ${describeContainer(use.container)} names the Docker socket in its ${describeOrigin(use)}, which is the node's ${use.hostPath} through the mount at ${use.mount?.mountPath}.`
            : `The ${describeContainer(use.container)} reaches the node's Docker Engine over ${use.ref.transport === 'ssh' ? 'SSH' : 'TCP'} through its ${describeOrigin(use)}.`,
        evidence: endpointEvidence(use),
      }));
  },
};
