import { HostPathClass } from '../lib/host-paths.ts';
import {
  describeContainer,
  describeMount,
  hostMountsOf,
  isLogSymlinkTargetMount,
  mountEvidence,
} from '../lib/mounts.ts';
import { References } from '../references.ts';
import type { WorkloadRule } from '../rule.ts';
import { Severity } from '../severity.ts';

const WHAT: Partial<Record<HostPathClass, string>> = {
  [HostPathClass.dockerState]: "Docker Engine's state directory",
  [HostPathClass.dockerData]: "Docker Engine's data root (images, layers, container metadata)",
  [HostPathClass.dockerConfig]: "Docker Engine's configuration",
};

export const dockerFilesMount: WorkloadRule = {
  id: 'DS003',
  title: "Mounts Docker Engine's state, data or configuration",
  severity: Severity.medium,
  target: 'workload',
  rationale:
    '/var/run/docker, /var/lib/docker (and /var/lib above it, unless it is mounted read-only beside the CRI log paths, DS007) and /etc/docker belong to Docker Engine; on containerd or CRI-O nodes they are empty or absent, so whatever the workload reads or writes there stops working.',
  remediation:
    "Find out what the workload reads there. Container metadata comes from the CRI or the kubelet, image data from the runtime's own store (/var/lib/containerd, /var/lib/containers), runtime configuration from /etc/containerd or /etc/crio.",
  references: [References.identifyDockerDependency, References.changeRuntimeToContainerd],
  detect({ view }) {
    const classes = [HostPathClass.dockerState, HostPathClass.dockerData, HostPathClass.dockerConfig];
    // A read-only /var/lib beside the CRI log paths is a log collector's symlink target: DS007.
    return hostMountsOf(view, classes)
      .filter(({ mount }) => !isLogSymlinkTargetMount(view, mount))
      .map(({ container, mount, hostPathClass }) => ({
        container: container.name,
        message:
          mount.hostPath === '/var/lib'
            ? `The ${describeContainer(container)} mounts ${describeMount(mount)}, which contains Docker Engine's data root /var/lib/docker.`
            : `The ${describeContainer(container)} mounts ${WHAT[hostPathClass]}: ${describeMount(mount)}.`,
        evidence: mountEvidence(mount, container.image),
      }));
  },
};
