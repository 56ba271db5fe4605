import type { Evidence } from '../rule.ts';
import {
  classifyHostPath,
  exposesCriLogs,
  HostPathClass,
  isDockerDataParent,
  isOtherRuntimeSocket,
} from './host-paths.ts';
import { perObject } from './memoise.ts';
import type { ContainerView, MountView, WorkloadView } from './workload-view.ts';

export interface HostMount {
  container: ContainerView;
  mount: MountView & { hostPath: string };
  hostPathClass: HostPathClass;
}

/** Every hostPath mount of the pod, classified once per pod spec however many rules ask. */
const classifiedHostMounts = perObject((view: WorkloadView): HostMount[] => {
  const mounts: HostMount[] = [];
  for (const container of view.containers) {
    for (const mount of container.mounts) {
      if (mount.hostPath === undefined) continue;
      const hostPathClass = classifyHostPath(mount.hostPath);
      if (hostPathClass !== HostPathClass.unrelated) {
        mounts.push({ container, mount: mount as MountView & { hostPath: string }, hostPathClass });
      }
    }
  }
  return mounts;
});

/** The pod mounts a path through which it reads the CRI log layout (/var/log, /var/log/pods, ...). */
export function readsCriLogs(view: WorkloadView): boolean {
  return view.mountedHostPaths.some(exposesCriLogs);
}

/**
 * A read-only `/var/lib` beside the CRI log paths: how log collectors follow the symlinks of
 * /var/log/pods into Docker's log directory on Docker nodes. It is graded like that log directory
 * (DS007), not like a mount of Docker's data root (DS003).
 */
export function isLogSymlinkTargetMount(
  view: WorkloadView,
  mount: MountView & { hostPath: string },
): boolean {
  return mount.readOnly && isDockerDataParent(mount.hostPath) && readsCriLogs(view);
}

/** Every hostPath mount of the pod whose node path falls in one of the classes. */
export function hostMountsOf(view: WorkloadView, classes: readonly HostPathClass[]): HostMount[] {
  return classifiedHostMounts(view).filter((found) => classes.includes(found.hostPathClass));
}

/**
 * The kubelet checks a hostPath of type `Socket` before it starts the pod: where the socket is
 * missing the pod never starts. Unset, `DirectoryOrCreate` and `FileOrCreate` make an empty
 * directory or file there instead, so the workload starts and finds no Docker Engine.
 */
export function requiresSocket(mount: MountView): boolean {
  return mount.hostPathType === 'Socket' && mount.subPath === undefined;
}

/** What a node without Docker Engine does with this socket mount, for messages. */
export function withoutDockerEffect(mount: MountView): string {
  // The kubelet creates a missing subPath as a directory; the volume's own type is about its root.
  switch (mount.subPath === undefined ? mount.hostPathType : 'DirectoryOrCreate') {
    case 'Socket':
      return "The volume's type is Socket, so on a node without Docker Engine the pod cannot start (it stays in ContainerCreating).";
    case undefined:
    case '':
    case 'DirectoryOrCreate':
      return 'On a node without Docker Engine an empty directory is created there instead, and the workload starts without a Docker socket.';
    case 'FileOrCreate':
      return 'On a node without Docker Engine an empty file is created there instead, and the workload starts without a Docker socket.';
    default:
      return `The volume's type is ${mount.hostPathType}.`;
  }
}

/** The pod also mounts a containerd, CRI-O or podman socket: it is built for more than one runtime. */
export function mountsOtherRuntimeSocket(view: WorkloadView): boolean {
  return view.mountedHostPaths.some(isOtherRuntimeSocket);
}

export function mountEvidence(mount: MountView & { hostPath: string }, image?: string): Evidence {
  const evidence: Evidence = { hostPath: mount.hostPath, mountPath: mount.mountPath };
  if (mount.volumeHostPath !== undefined) evidence.volumeHostPath = mount.volumeHostPath;
  if (mount.subPath !== undefined) evidence.subPath = mount.subPath;
  if (mount.hostPathType !== undefined) evidence.hostPathType = mount.hostPathType;
  if (mount.readOnly) evidence.readOnly = true;
  if (image) evidence.image = image;
  return evidence;
}

/** `container "agent"`, `init container "setup"`, for messages. */
export function describeContainer(container: ContainerView): string {
  const role =
    container.role === 'initContainer'
      ? 'init container'
      : container.role === 'ephemeralContainer'
        ? 'ephemeral container'
        : 'container';
  return `${role} "${container.name}"`;
}

export function describeMount(mount: MountView & { hostPath: string }): string {
  const source = mount.subPath ? `${mount.volumeHostPath} (subPath ${mount.subPath})` : mount.hostPath;
  return `${source} at ${mount.mountPath}${mount.readOnly ? ' (read-only)' : ''}`;
}
