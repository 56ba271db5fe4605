import { HostPathClass } from '../lib/host-paths.ts';
import {
  describeContainer,
  describeMount,
  hostMountsOf,
  isLogSymlinkTargetMount,
  mountEvidence,
  readsCriLogs,
} from '../lib/mounts.ts';
import { References } from '../references.ts';
import type { WorkloadRule } from '../rule.ts';
import { Severity } from '../severity.ts';

const remediation =
  'Collect container logs from /var/log/containers (links into /var/log/pods) and parse the CRI log format, which containerd and CRI-O write; most collectors have a "cri" parser. Then drop the /var/lib/docker/containers mount.';

export const dockerLogsOnlyMount: WorkloadRule = {
  id: 'DS006',
  title: "Reads container logs only from Docker's json-file directory",
  severity: Severity.medium,
  target: 'workload',
  rationale:
    '/var/lib/docker/containers holds the logs Docker Engine writes; on containerd or CRI-O nodes it is empty, and nothing else the workload mounts gives it the CRI log paths, so log collection stops.',
  remediation,
  references: [References.loggingArchitecture, References.agentMigration],
  detect({ view }) {
    if (readsCriLogs(view)) return [];
    return hostMountsOf(view, [HostPathClass.dockerLogs]).map(({ container, mount }) => ({
      container: container.name,
      message: `The ${describeContainer(container)} mounts Docker's container log directory ${describeMount(mount)} and no CRI log path (/var/log/pods, /var/log/containers).`,
      evidence: mountEvidence(mount, container.image),
    }));
  },
};

export const dockerLogsBesideCriLogsMount: WorkloadRule = {
  id: 'DS007',
  title: "Mounts Docker's log directory beside the CRI log paths",
  severity: Severity.low,
  target: 'workload',
  rationale:
    "The workload also reads /var/log (or /var/log/pods, /var/log/containers), where every runtime's logs appear; the Docker log mount (or a read-only /var/lib above it) is kept for the symlink targets on Docker nodes and is harmless elsewhere.",
  remediation,
  references: [References.loggingArchitecture],
  detect({ view }) {
    if (!readsCriLogs(view)) return [];
    const logDirectories = hostMountsOf(view, [HostPathClass.dockerLogs]).map(({ container, mount }) => ({
      container: container.name,
      message: `The ${describeContainer(container)} mounts Docker's container log directory ${describeMount(mount)} beside the CRI log paths.`,
      evidence: mountEvidence(mount, container.image),
    }));
    const varLib = hostMountsOf(view, [HostPathClass.dockerData])
      .filter(({ mount }) => isLogSymlinkTargetMount(view, mount))
      .map(({ container, mount }) => ({
        container: container.name,
        message: `The ${describeContainer(container)} mounts ${describeMount(mount)} beside the CRI log paths: log collectors do so to follow /var/log/pods into Docker's container logs (/var/lib/docker/containers) on Docker nodes.`,
        evidence: mountEvidence(mount, container.image),
      }));
    return [...logDirectories, ...varLib];
  },
};
