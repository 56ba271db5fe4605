import { imageRepository } from '../agents/agent-catalog.ts';
import {
  type DockerEndpointUse,
  describeOrigin,
  dockerEndpointsOf,
  endpointEvidence,
} from '../lib/docker-endpoints.ts';
import { dockerPassedOnOf } from '../lib/docker-passed-on.ts';
import { describeContainer } from '../lib/mounts.ts';
import type { ContainerView } from '../lib/workload-view.ts';
import { References } from '../references.ts';
import type { Detection, WorkloadRule } from '../rule.ts';
import { Severity } from '../severity.ts';

const DAEMON_COMMANDS = new Set(['dockerd', 'dockerd-entrypoint.sh', 'dockerd-rootless.sh']);

/** docker:dind, docker:27-dind-rootless, a `dind` image, or a container that starts dockerd. */
function runsDockerDaemon(container: ContainerView): boolean {
  const repository = imageRepository(container.image);
  const tag = container.image.slice(container.image.lastIndexOf(':') + 1).toLowerCase();
  const lastSegment = repository.slice(repository.lastIndexOf('/') + 1);
  if (lastSegment === 'dind' || (lastSegment === 'docker' && tag.includes('dind'))) return true;
  const program = container.argv[0] ?? '';
  return DAEMON_COMMANDS.has(program.slice(program.lastIndexOf('/') + 1));
}

function endpointMessage(use: DockerEndpointUse): string {
  const who = `The ${describeContainer(use.container)}`;
  switch (use.target) {
    case 'pod':
      return `${who} names a Docker endpoint in its ${describeOrigin(use)} that is served inside the pod (a docker-in-docker daemon), not by the node.`;
    case 'remote':
      return `${who} uses a Docker daemon on the network through its ${describeOrigin(use)}, not the node's.`;
    default:
      return `${who} names a Docker socket in its ${describeOrigin(use)}, but no volume provides it: it cannot reach the node's Docker Engine.`;
  }
}

export const ownDockerDaemon: WorkloadRule = {
  id: 'DS008',
  title: "Uses a Docker daemon of its own, not the node's",
  severity: Severity.low,
  target: 'workload',
  rationale:
    "Docker-in-docker sidecars and remote Docker daemons do not depend on the node's runtime, so they keep working on containerd or CRI-O nodes; they are listed so that the inventory of Docker use is complete.",
  remediation:
    'Nothing is needed for the runtime move. Consider a daemonless image builder (BuildKit rootless, Kaniko, Buildah) to drop the privileged docker-in-docker container.',
  references: [References.dockershimFaq],
  detect({ view }) {
    const detections: Detection[] = [];
    for (const container of view.containers) {
      if (!runsDockerDaemon(container)) continue;
      detections.push({
        container: container.name,
        message: `The ${describeContainer(container)} runs its own Docker daemon (${container.image || container.argv[0]}).`,
        evidence: { image: container.image },
      });
    }
    // A socket named beside a Docker runtime setting is handed to the pods it starts (DS011).
    const passedOn = new Set(dockerPassedOnOf(view).map(({ socket }) => socket));
    for (const use of dockerEndpointsOf(view)) {
      if (use.target === 'node' || passedOn.has(use)) continue;
      detections.push({
        container: use.container.name,
        message: endpointMessage(use),
        evidence: endpointEvidence(use),
      });
    }
    return detections;
  },
};
