import { HostPathClass } from '../lib/host-paths.ts';
import { describeContainer, hostMountsOf } from '../lib/mounts.ts';
import { excerpt } from '../lib/socket-refs.ts';
import type { ContainerView, WorkloadView } from '../lib/workload-view.ts';
import { References } from '../references.ts';
import type { WorkloadRule } from '../rule.ts';
import { Severity } from '../severity.ts';

/** `docker <subcommand>` as a command, in a shell line or as the program itself. */
const DOCKER_CLI =
  /(?:^|[\s;&|(`/])docker\s+(?:-[-\w=/.:]+\s+)*(?:ps|run|exec|images?|inspect|logs|pull|push|build|info|version|rm|rmi|stop|kill|top|stats|system|volume|network|container|events|cp|commit|save|load|tag|login)\b/;
/** Ways into the node's namespaces or root filesystem from a container. */
const ENTERS_HOST = /(?:^|[\s;&|(`/])(?:nsenter|chroot)\b/;

function usesDockerCli(container: ContainerView): string | undefined {
  return container.argv.find((token) => DOCKER_CLI.test(token));
}

/**
 * How the container can run a command on the node itself: privileged with the node's process
 * namespace (nsenter --target 1), or chroot into the node's root filesystem mounted from `/`.
 */
function reachesHost(view: WorkloadView, container: ContainerView): string | undefined {
  const entering = container.argv.some((token) => ENTERS_HOST.test(token));
  if (view.hostPID && container.privileged) return "is privileged in the node's process namespace";
  if (
    entering &&
    hostMountsOf(view, [HostPathClass.socketParent]).some(
      ({ container: owner, mount }) => owner === container && mount.hostPath === '/',
    )
  ) {
    return "enters the node's root filesystem";
  }
  return undefined;
}

export const dockerCliOnHost: WorkloadRule = {
  id: 'DS009',
  title: 'Runs the docker CLI on the node',
  severity: Severity.medium,
  target: 'workload',
  rationale:
    "The container runs docker commands and can run them in the node's own namespaces or root filesystem (nsenter, chroot) without mounting the socket: they talk to the node's Docker Engine, and fail once the node runs containerd or CRI-O.",
  remediation:
    'Replace the docker commands with crictl (or ctr) against the CRI socket, or with the Kubernetes API; and drop the host access they needed.',
  references: [References.identifyDockerDependency, References.agentMigration],
  detect({ view }) {
    const found = [];
    for (const container of view.containers) {
      const command = usesDockerCli(container);
      const how = command === undefined ? undefined : reachesHost(view, container);
      if (command === undefined || how === undefined) continue;
      const line = excerpt(command, 'docker');
      found.push({
        container: container.name,
        message: `The ${describeContainer(container)} runs "${line}" and ${how}.`,
        evidence: { arg: line, ...(container.image && { image: container.image }) },
      });
    }
    return found;
  },
};
