import { describeOrigin } from '../lib/docker-endpoints.ts';
import { dockerPassedOnOf } from '../lib/docker-passed-on.ts';
import { describeContainer } from '../lib/mounts.ts';
import { describeSelection } from '../lib/runtime-selection.ts';
import { References } from '../references.ts';
import type { WorkloadRule } from '../rule.ts';
import { Severity } from '../severity.ts';

export const dockerPassedOnByName: WorkloadRule = {
  id: 'DS011',
  title: 'Passes Docker Engine, chosen by name, to the pods it starts',
  severity: Severity.high,
  target: 'workload',
  rationale:
    'A setting chooses Docker as the container runtime (CONTAINER_RUNTIME=docker) beside a Docker socket path that the container does not mount itself: it hands both to the pods it starts (chaos helpers, build pods), which mount that socket from the node and break when the node leaves Docker.',
  remediation:
    "Set the runtime to the node's CRI runtime (containerd or cri-o) and the socket path to that runtime's socket (/run/containerd/containerd.sock, /var/run/crio/crio.sock).",
  references: [References.identifyDockerDependency, References.agentMigration],
  detect({ view }) {
    // Not part of DS050's evidence: the pods that mount the socket may run on other nodes.
    return dockerPassedOnOf(view).map(({ selection, socket, path }) => ({
      container: selection.container.name,
      message: `The ${describeContainer(selection.container)} selects Docker Engine by name in its ${describeSelection(selection)} and names the Docker socket ${path} in its ${describeOrigin(socket)} without mounting it: the pods it starts use the node's Docker Engine there.`,
      evidence: {
        ...selection.origin,
        endpoint: path,
        ...(selection.container.image && { image: selection.container.image }),
      },
    }));
  },
};
