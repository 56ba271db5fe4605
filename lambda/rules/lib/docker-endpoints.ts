import type { Evidence } from '../rule.ts';
import { DOCKER_PORTS } from './docker-host.ts';
import { isDockerSocket } from './host-paths.ts';
import { perObject } from './memoise.ts';
import {
  dockerHostValue,
  dockerSocketPathsIn,
  excerpt,
  isLoopbackHost,
  isNetworkRef,
  type LocalSocketRef,
  networkEndpointsIn,
  type SocketRef,
} from './socket-refs.ts';
import {
  type ContainerView,
  type MountView,
  resolveContainerPath,
  type WorkloadView,
} from './workload-view.ts';

/**
 * Where a Docker endpoint named by a container leads:
 * - node: the node's Docker Engine (its socket through a hostPath, or its TCP port)
 * - pod: a daemon inside the pod (a docker-in-docker sidecar on loopback or a shared emptyDir)
 * - remote: a Docker daemon elsewhere on the network
 * - unmounted: a socket path that no volume provides, so only the image could hold it
 */
export type EndpointTarget = 'node' | 'pod' | 'remote' | 'unmounted';

export interface DockerEndpointUse {
  container: ContainerView;
  ref: SocketRef;
  target: EndpointTarget;
  /** Node path of the socket when the target is the node through a hostPath. */
  hostPath?: string;
  mount?: MountView;
  origin: { env: string } | { arg: string };
}

/** A host named for Docker (`docker`, `docker-dind`, `dind.ci.svc`), as docker-in-docker services are. */
const DOCKER_NAMED_HOST = /(?:^|[.-])(?:docker|dind)(?:$|[.-])/i;
/** Env variables whose TCP endpoints are Docker's even without "docker" in the URL. */
const DOCKER_ENV_NAME = /DOCKER/i;
/** Variables the Docker clients read as a whole endpoint, with or without a scheme. */
const DOCKER_HOST_VARIABLES = new Set(['DOCKER_HOST']);
/** The pod's own view of its node's address; `$(VAR)` set from it means "the node". */
const NODE_FIELD_PATHS = new Set(['status.hostIP', 'status.hostIPs', 'spec.nodeName']);
const HOST_FLAGS = new Set(['-H', '--host']);
const HOST_FLAG_WITH_VALUE = /^(?:-H|--host)=/;

/**
 * Text that cannot name a Docker endpoint is skipped before any regular expression runs:
 * most env values and arguments are ordinary, and a cluster has a lot of them.
 */
function mayNameEndpoint(text: string): boolean {
  return (
    text.includes('sock') ||
    text.includes('pipe') ||
    text.includes('tcp://') ||
    text.includes('ssh://') ||
    text.includes('unix:')
  );
}

/** Computed once per pod spec, however many rules ask. */
export const dockerEndpointsOf: (view: WorkloadView) => DockerEndpointUse[] = perObject(findDockerEndpoints);

function findDockerEndpoints(view: WorkloadView): DockerEndpointUse[] {
  const uses: DockerEndpointUse[] = [];
  for (const container of view.containers) {
    for (const variable of container.env) {
      const value = variable.value;
      if (value === undefined) continue;
      const wholeValue = DOCKER_HOST_VARIABLES.has(variable.name);
      if (!wholeValue && !mayNameEndpoint(value)) continue;
      const networkIsDocker = DOCKER_ENV_NAME.test(variable.name);
      const refs = wholeValue ? wholeDockerHost(value) : undefined;
      uses.push(
        ...endpointsIn(view, container, value, networkIsDocker, refs, () => ({
          env: `${variable.name}=${excerpt(value, '')}`,
        })),
      );
    }
    const mentionsDocker = container.argv.some((token) => /docker/i.test(token));
    container.argv.forEach((token, index) => {
      if (!mayNameEndpoint(token)) return;
      const previous = container.argv[index - 1] ?? '';
      const hostFlag = HOST_FLAGS.has(previous) || HOST_FLAG_WITH_VALUE.test(token);
      const networkIsDocker = /docker/i.test(token) || (mentionsDocker && hostFlag);
      uses.push(
        ...endpointsIn(view, container, token, networkIsDocker, undefined, (ref) => ({
          arg: excerpt(token, ref.raw),
        })),
      );
    });
  }
  return uses;
}

/**
 * DOCKER_HOST read as the Docker client reads it (no scheme is TCP). When that names no Docker
 * endpoint (`unix:///var/run/docker.sock # the node's`), the value is searched like any other,
 * since what it was meant to reach matters more than whether the client would accept it.
 */
function wholeDockerHost(value: string): SocketRef[] | undefined {
  const refs = dockerHostValue(value);
  return refs.some((ref) => isNetworkRef(ref) || isDockerSocket(ref.path)) ? refs : undefined;
}

/**
 * The endpoints a value names and where each leads. `wholeValue` is the value read as one
 * Docker host (DOCKER_HOST); otherwise the text is searched. A network endpoint counts when the
 * context says it is Docker's, when it is a Docker port on the node itself (nothing else
 * listens on 2375/2376 there), or when a host named for Docker listens on a Docker port
 * (`tcp://docker:2375`, the usual address of a docker-in-docker service, whatever the
 * variable is called: Hyperledger Fabric's CORE_VM_ENDPOINT, for one).
 */
function endpointsIn(
  view: WorkloadView,
  container: ContainerView,
  text: string,
  networkIsDocker: boolean,
  wholeValue: SocketRef[] | undefined,
  originOf: (ref: SocketRef) => DockerEndpointUse['origin'],
): DockerEndpointUse[] {
  const uses: DockerEndpointUse[] = [];
  const sockets = wholeValue
    ? wholeValue.filter((ref): ref is LocalSocketRef => !isNetworkRef(ref) && isDockerSocket(ref.path))
    : dockerSocketPathsIn(text);
  for (const ref of sockets) {
    const origin = originOf(ref);
    const resolved = resolveContainerPath(container, ref.path);
    if (resolved.kind === 'host' && isDockerSocket(resolved.hostPath)) {
      uses.push({
        container,
        ref,
        target: 'node',
        hostPath: resolved.hostPath,
        mount: resolved.mount,
        origin,
      });
    } else if (resolved.kind === 'host' || resolved.kind === 'volume') {
      uses.push({ container, ref, target: 'pod', mount: resolved.mount, origin });
    } else {
      uses.push({ container, ref, target: 'unmounted', origin });
    }
  }
  const network = wholeValue ? wholeValue.filter(isNetworkRef) : networkEndpointsIn(text);
  for (const ref of network) {
    const target = networkTarget(view, container, ref.host);
    const dockerPort = DOCKER_PORTS.has(ref.port);
    if (networkIsDocker || (dockerPort && (target === 'node' || DOCKER_NAMED_HOST.test(ref.host))))
      uses.push({ container, ref, target, origin: originOf(ref) });
  }
  return uses;
}

function networkTarget(view: WorkloadView, container: ContainerView, host: string): EndpointTarget {
  // With hostNetwork the pod's loopback is the node's: localhost:2375 is the node's Docker Engine.
  if (isLoopbackHost(host)) return view.hostNetwork ? 'node' : 'pod';
  const reference = /^\$\(([^)]+)\)$/.exec(host)?.[1];
  if (reference) {
    const variable = container.env.find((e) => e.name === reference);
    if (variable?.fieldPath && NODE_FIELD_PATHS.has(variable.fieldPath)) return 'node';
  }
  return 'remote';
}

export function endpointEvidence(use: DockerEndpointUse): Evidence {
  const evidence: Evidence = 'env' in use.origin ? { env: use.origin.env } : { arg: use.origin.arg };
  if (use.hostPath !== undefined) evidence.hostPath = use.hostPath;
  if (use.mount) evidence.mountPath = use.mount.mountPath;
  // Through excerpt, so that credentials in the URL (tcp://user:password@host) are masked.
  if (use.ref.transport !== 'unix' || use.hostPath === undefined)
    evidence.endpoint = excerpt(use.ref.raw, '');
  if (use.container.image) evidence.image = use.container.image;
  return evidence;
}

export function describeOrigin(use: DockerEndpointUse): string {
  return 'env' in use.origin ? `environment variable ${use.origin.env}` : `argument ${use.origin.arg}`;
}
