import { HostPathClass } from '../lib/host-paths.ts';
import { describeContainer, describeMount, hostMountsOf, mountEvidence } from '../lib/mounts.ts';
import { References } from '../references.ts';
import type { WorkloadRule } from '../rule.ts';
import { Severity } from '../severity.ts';

export const dockerSocketParentMount: WorkloadRule = {
  id: 'DS002',
  title: 'Mounts a directory that contains the Docker socket',
  severity: Severity.medium,
  target: 'workload',
  rationale:
    'The host root, /var, /run or /var/run (or a rootless /run/user/<uid>) holds docker.sock, so the workload can reach Docker Engine without naming it; whether it does needs a look.',
  remediation:
    'Find out what the workload uses the directory for. Mount only the files it needs (for a runtime socket, the CRI socket itself), and check its configuration for a Docker endpoint.',
  references: [References.identifyDockerDependency, References.checkIfAffected],
  detect({ view }) {
    return hostMountsOf(view, [HostPathClass.socketParent]).map(({ container, mount }) => ({
      container: container.name,
      message:
        mount.hostPath === '/'
          ? `The ${describeContainer(container)} mounts the node's root filesystem ${describeMount(mount)}, which includes the Docker socket and Docker's data.`
          : `The ${describeContainer(container)} mounts ${describeMount(mount)}, the directory that holds the Docker socket.`,
      evidence: mountEvidence(mount, container.image),
    }));
  },
};
