import { type DockerEndpointUse, dockerEndpointsOf } from './docker-endpoints.ts';
import { HostPathClass } from './host-paths.ts';
import { perObject } from './memoise.ts';
import { hostMountsOf } from './mounts.ts';
import { type DockerSelection, dockerSelectionsOf } from './runtime-selection.ts';
import type { WorkloadView } from './workload-view.ts';

/**
 * A container that selects Docker by name and names a Docker socket that none of its own volumes
 * provides: it passes both on to pods it starts, which mount that socket from the node. LitmusChaos
 * experiments work so (CONTAINER_RUNTIME=docker and SOCKET_PATH=/var/run/docker.sock; the helper
 * pods mount SOCKET_PATH). A container that reaches the node's socket itself is DS010's instead.
 */
export interface PassedOnSelection {
  selection: DockerSelection;
  /** Where the container names the socket (SOCKET_PATH=...). */
  socket: DockerEndpointUse;
  /** The node path the started pods mount. */
  path: string;
}

export const dockerPassedOnOf = perObject((view: WorkloadView): PassedOnSelection[] => {
  const selections = dockerSelectionsOf(view);
  if (selections.length === 0) return [];
  const reaching = new Set(
    hostMountsOf(view, [HostPathClass.dockerSocket, HostPathClass.socketParent]).map(
      (found) => found.container,
    ),
  );
  const unmounted = dockerEndpointsOf(view).flatMap((use) =>
    use.target === 'unmounted' && use.ref.transport === 'unix' ? [{ use, path: use.ref.path }] : [],
  );
  return selections
    .filter((selection) => !reaching.has(selection.container))
    .flatMap((selection) =>
      unmounted
        .filter(({ use }) => use.container === selection.container)
        .map(({ use, path }) => ({ selection, socket: use, path })),
    );
});
