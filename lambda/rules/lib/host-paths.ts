import { memoise } from './memoise.ts';

/**
 * What a path on the node means for Docker Engine. Matching is on normalised paths and on
 * whole path segments, so `/var/run/scope` or `/run/flannel` never pass for `/var/run`.
 */

const WINDOWS_PIPE_PREFIX = '\\\\.\\pipe\\';

/** Basenames of the sockets through which something talks to Docker Engine. */
const DOCKER_SOCKET_NAMES = new Set(['docker.sock', 'dockershim.sock', 'cri-dockerd.sock']);
/** Windows named pipes of Docker Engine, dockershim and cri-dockerd. */
const DOCKER_PIPE_NAMES = new Set(['docker_engine', 'dockershim', 'cri-dockerd']);
/** Sockets of the runtimes that replace Docker; an agent that mounts one is not Docker-only. */
const OTHER_RUNTIME_SOCKET_NAMES = new Set(['containerd.sock', 'crio.sock', 'podman.sock']);
const OTHER_RUNTIME_SOCKET_DIRS = [
  '/run/containerd',
  '/var/run/containerd',
  '/run/crio',
  '/var/run/crio',
  '/run/podman',
  '/var/run/podman',
  '/run/k3s/containerd',
  '/run/host-containerd',
];

/** Directories that contain the Docker socket: mounting one exposes the socket inside. */
const SOCKET_PARENTS = new Set(['/', '/var', '/run', '/var/run', '/run/user', '/var/run/user']);
const ROOTLESS_RUNTIME_DIR = /^\/(?:var\/)?run\/user\/\d+$/;
const ROOTLESS_DOCKER_SOCKET = /^\/(?:var\/)?run\/user\/\d+\/docker\.sock$/;

const DOCKER_STATE_DIRS = ['/var/run/docker', '/run/docker'];
const DOCKER_LOG_DIR = '/var/lib/docker/containers';
const DOCKER_DATA_DIRS = [
  '/var/lib/docker',
  '/var/lib/dockershim',
  '/var/lib/cri-dockerd',
  'c:/programdata/docker',
];
/** `/var/lib` holds Docker's data root; mounting it exposes all of it. */
const DOCKER_DATA_PARENTS = new Set(['/var/lib']);
const DOCKER_CONFIG_DIRS = ['/etc/docker'];
const CRI_LOG_DIRS = ['/var/log/pods', '/var/log/containers'];

export const HostPathClass = {
  dockerSocket: 'docker-socket',
  socketParent: 'socket-parent',
  dockerState: 'docker-state',
  dockerData: 'docker-data',
  dockerConfig: 'docker-config',
  dockerLogs: 'docker-logs',
  otherRuntimeSocket: 'other-runtime-socket',
  unrelated: 'unrelated',
} as const;
export type HostPathClass = (typeof HostPathClass)[keyof typeof HostPathClass];

/**
 * Normalises a node path: collapses `//`, resolves `.` and `..`, drops a trailing `/`.
 * Windows named pipes (`\\.\pipe\x`, `//./pipe/x`) become `\\.\pipe\x`; Windows drive paths
 * become lower-case with forward slashes (`C:\ProgramData\docker` → `c:/programdata/docker`).
 */
export const normalisePath = memoise(normaliseUncached);

function normaliseUncached(raw: string): string {
  const trimmed = raw.trim();
  const pipe = /^(?:\\\\|\/\/)\.(?:\\|\/)pipe(?:\\|\/)+(.+)$/i.exec(trimmed);
  if (pipe?.[1]) return `${WINDOWS_PIPE_PREFIX}${pipe[1].replace(/[\\/]+$/, '').toLowerCase()}`;
  const drive = /^([a-zA-Z]):[\\/]/.exec(trimmed);
  if (drive) {
    return `${trimmed.slice(0, 2).toLowerCase()}${resolveSegments(trimmed.slice(2).replace(/\\/g, '/'))}`.toLowerCase();
  }
  return resolveSegments(trimmed);
}

function resolveSegments(path: string): string {
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}`;
}

/** Joins a node path and a relative path (a subPath, or what lies below a mountPath). */
export function joinPath(base: string, relative: string): string {
  if (relative === '') return base;
  if (base.startsWith(WINDOWS_PIPE_PREFIX)) return base;
  return normalisePath(`${base}/${relative}`);
}

/** True when `path` is `base` or lies below it, segment-wise. Both must be normalised. */
export function isWithin(path: string, base: string): boolean {
  if (path === base) return true;
  return path.startsWith(base.endsWith('/') ? base : `${base}/`);
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function isDockerSocket(path: string): boolean {
  if (path.startsWith(WINDOWS_PIPE_PREFIX))
    return DOCKER_PIPE_NAMES.has(path.slice(WINDOWS_PIPE_PREFIX.length));
  return DOCKER_SOCKET_NAMES.has(basename(path)) || ROOTLESS_DOCKER_SOCKET.test(path);
}

/** Windows named pipes of containerd (and CRI-O has none on Windows). */
const OTHER_RUNTIME_PIPE_NAMES = new Set(['containerd-containerd']);

export function isOtherRuntimeSocket(path: string): boolean {
  if (path.startsWith(WINDOWS_PIPE_PREFIX))
    return OTHER_RUNTIME_PIPE_NAMES.has(path.slice(WINDOWS_PIPE_PREFIX.length));
  if (isWithinAny(path, DOCKER_STATE_DIRS)) return false; // Docker's own bundled containerd
  return OTHER_RUNTIME_SOCKET_NAMES.has(basename(path)) || OTHER_RUNTIME_SOCKET_DIRS.includes(path);
}

/** `/var/lib`: it holds Docker's data root, and Docker's container logs below it. */
export function isDockerDataParent(path: string): boolean {
  return DOCKER_DATA_PARENTS.has(path);
}

/** A path through which the pod can read the CRI log layout (`/var/log/pods`, `/var/log/containers`). */
export function exposesCriLogs(path: string): boolean {
  return CRI_LOG_DIRS.some((dir) => isWithin(dir, path) || isWithin(path, dir));
}

function isWithinAny(path: string, bases: readonly string[]): boolean {
  return bases.some((base) => isWithin(path, base));
}

/** Classifies a normalised node path. The order matters: the most specific meaning wins. */
export function classifyHostPath(path: string): HostPathClass {
  if (isDockerSocket(path)) return HostPathClass.dockerSocket;
  if (SOCKET_PARENTS.has(path) || ROOTLESS_RUNTIME_DIR.test(path)) return HostPathClass.socketParent;
  if (isWithinAny(path, DOCKER_STATE_DIRS)) return HostPathClass.dockerState;
  if (isWithin(path, DOCKER_LOG_DIR)) return HostPathClass.dockerLogs;
  if (isWithinAny(path, DOCKER_DATA_DIRS) || DOCKER_DATA_PARENTS.has(path)) return HostPathClass.dockerData;
  if (isWithinAny(path, DOCKER_CONFIG_DIRS)) return HostPathClass.dockerConfig;
  if (isOtherRuntimeSocket(path)) return HostPathClass.otherRuntimeSocket;
  return HostPathClass.unrelated;
}
