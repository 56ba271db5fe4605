import {
  asArray,
  asString,
  type Container,
  type EnvVar,
  isRecord,
  type PodSpec,
  type Volume,
  type VolumeMount,
} from '../../kube/objects.ts';
import { isWithin, joinPath, normalisePath } from './host-paths.ts';

/**
 * A pod spec read once into the shape the rules need: per container, its mounts with the
 * node path each one exposes (subPath applied), its literal environment and its argv.
 */
export interface MountView {
  mountPath: string;
  volume: string;
  /** Node path the container sees at mountPath, when the volume is a hostPath. */
  hostPath?: string;
  /** The volume's own hostPath when a subPath narrows it. */
  volumeHostPath?: string;
  subPath?: string;
  /** The hostPath volume's `type` when it sets one (Socket, DirectoryOrCreate, ...). */
  hostPathType?: string;
  readOnly: boolean;
}

export interface EnvView {
  name: string;
  /** Literal value with `$(VAR)` references to earlier literal variables expanded. */
  value?: string;
  /** `valueFrom.fieldRef.fieldPath`, e.g. `status.hostIP`. */
  fieldPath?: string;
}

export const ContainerRole = {
  container: 'container',
  initContainer: 'initContainer',
  ephemeralContainer: 'ephemeralContainer',
} as const;
export type ContainerRole = (typeof ContainerRole)[keyof typeof ContainerRole];

export interface ContainerView {
  name: string;
  role: ContainerRole;
  image: string;
  env: EnvView[];
  /** command then args, each `$(VAR)`-expanded. */
  argv: string[];
  mounts: MountView[];
  privileged: boolean;
}

export interface WorkloadView {
  containers: ContainerView[];
  /** Every node path mounted by any container of the pod. */
  mountedHostPaths: string[];
  hostNetwork: boolean;
  /** Shares the node's process namespace: with privilege, nsenter reaches anything on the node. */
  hostPID: boolean;
  nodeName?: string;
}

interface HostPathVolume {
  path: string;
  type?: string;
}

export function buildWorkloadView(spec: PodSpec): WorkloadView {
  const hostPaths = new Map<string, HostPathVolume>();
  for (const volume of asArray<unknown>(spec.volumes).filter(isRecord) as Volume[]) {
    const path = isRecord(volume.hostPath) ? asString(volume.hostPath.path) : undefined;
    const type = isRecord(volume.hostPath) ? asString(volume.hostPath.type) : undefined;
    const name = asString(volume.name);
    if (name && path) hostPaths.set(name, { path: normalisePath(path), ...(type && { type }) });
  }
  const containers: ContainerView[] = [
    ...containersOf(spec.initContainers, ContainerRole.initContainer, hostPaths),
    ...containersOf(spec.containers, ContainerRole.container, hostPaths),
    ...containersOf(spec.ephemeralContainers, ContainerRole.ephemeralContainer, hostPaths),
  ];
  const mounted = new Set<string>();
  for (const container of containers) {
    for (const mount of container.mounts) if (mount.hostPath) mounted.add(mount.hostPath);
  }
  const view: WorkloadView = {
    containers,
    mountedHostPaths: [...mounted],
    hostNetwork: spec.hostNetwork === true,
    hostPID: spec.hostPID === true,
  };
  const nodeName = asString(spec.nodeName);
  if (nodeName) view.nodeName = nodeName;
  return view;
}

// Runs for every container of every pod of a cluster: plain loops, few allocations.
function containersOf(
  list: unknown,
  role: ContainerRole,
  hostPaths: Map<string, HostPathVolume>,
): ContainerView[] {
  const views: ContainerView[] = [];
  const containers = asArray<unknown>(list);
  for (let index = 0; index < containers.length; index++) {
    const container = containers[index];
    if (!isRecord(container)) continue;
    const { name, image, command, args, env: rawEnv, volumeMounts, securityContext } = container as Container;
    const env = envOf(rawEnv);
    const argv: string[] = [];
    for (const token of [asArray<unknown>(command), asArray<unknown>(args)].flat()) {
      if (typeof token === 'string') argv.push(expand(token, env));
    }
    views.push({
      name: asString(name) ?? `${role}[${index}]`,
      role,
      image: asString(image) ?? '',
      env,
      argv,
      mounts: mountsOf(volumeMounts, hostPaths),
      privileged: securityContext?.privileged === true,
    });
  }
  return views;
}

function envOf(list: unknown): EnvView[] {
  const env: EnvView[] = [];
  for (const item of asArray<unknown>(list)) {
    if (!isRecord(item)) continue;
    const { name, value, valueFrom } = item as EnvVar;
    if (typeof name !== 'string' || name === '') continue;
    const entry: EnvView = { name };
    if (typeof value === 'string') entry.value = expand(value, env);
    const fieldPath = valueFrom?.fieldRef?.fieldPath;
    if (typeof fieldPath === 'string' && fieldPath !== '') entry.fieldPath = fieldPath;
    env.push(entry);
  }
  return env;
}

/**
 * Kubernetes expands `$(VAR)` from variables defined earlier in the list; unknown references
 * stay as written (and `$$(VAR)` is an escape), exactly as the kubelet does.
 */
function expand(text: string, env: readonly EnvView[]): string {
  if (!text.includes('$(')) return text;
  return text.replace(/\$?\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string) => {
    if (match.startsWith('$$')) return match.slice(1);
    const found = env.find((e) => e.name === name && e.value !== undefined);
    return found?.value ?? match;
  });
}

function mountsOf(list: unknown, hostPaths: Map<string, HostPathVolume>): MountView[] {
  const mounts: MountView[] = [];
  for (const mount of asArray<unknown>(list).filter(isRecord) as VolumeMount[]) {
    const mountPath = asString(mount.mountPath);
    const volume = asString(mount.name);
    if (!mountPath || !volume) continue;
    const view: MountView = {
      mountPath: normalisePath(mountPath),
      volume,
      readOnly: mount.readOnly === true,
    };
    const hostPathVolume = hostPaths.get(volume);
    const volumeHostPath = hostPathVolume?.path;
    const subPath = asString(mount.subPath);
    if (hostPathVolume?.type) view.hostPathType = hostPathVolume.type;
    if (volumeHostPath !== undefined) {
      // A subPath mounts one entry of the volume: the container sees that file, not the directory.
      // A subPathExpr cannot be resolved without the pod's environment, so the whole volume counts.
      view.hostPath = subPath ? joinPath(volumeHostPath, subPath) : volumeHostPath;
      if (subPath) {
        view.volumeHostPath = volumeHostPath;
        view.subPath = subPath;
      }
    }
    mounts.push(view);
  }
  return mounts;
}

export type ResolvedPath =
  | { kind: 'host'; hostPath: string; mount: MountView }
  | { kind: 'volume'; mount: MountView }
  | { kind: 'image' };

/**
 * Where a path seen inside a container really lives: on the node (through a hostPath mount),
 * in another volume (emptyDir shared with a sidecar, ...), or in the container's own image.
 * The deepest mount wins, as in the container's mount table.
 */
export function resolveContainerPath(container: ContainerView, containerPath: string): ResolvedPath {
  const path = normalisePath(containerPath);
  let best: MountView | undefined;
  for (const mount of container.mounts) {
    if (isWithin(path, mount.mountPath) && (!best || mount.mountPath.length > best.mountPath.length))
      best = mount;
  }
  if (!best) return { kind: 'image' };
  if (best.hostPath === undefined) return { kind: 'volume', mount: best };
  const below =
    path === best.mountPath ? '' : path.slice(best.mountPath === '/' ? 1 : best.mountPath.length + 1);
  return { kind: 'host', hostPath: joinPath(best.hostPath, below), mount: best };
}
