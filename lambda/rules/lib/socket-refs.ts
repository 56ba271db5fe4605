import { type DockerHost, parseDockerHost } from './docker-host.ts';
import { isDockerSocket, isOtherRuntimeSocket, normalisePath } from './host-paths.ts';

/**
 * Docker endpoints named in text: an env value, a command-line argument, a config file.
 * URLs (`unix://`, `npipe://`, `tcp://`, `ssh://`) are read by the Docker client's rules
 * (docker-host.ts); bare socket paths and Windows pipes are found as paths.
 */
export type SocketRef = LocalSocketRef | NetworkRef;
export type LocalSocketRef = { transport: 'unix'; path: string; raw: string };
export type NetworkRef = { transport: 'tcp' | 'ssh'; host: string; port: number; raw: string };

export function isNetworkRef(ref: SocketRef): ref is NetworkRef {
  return ref.transport !== 'unix';
}

/**
 * URL-shaped candidates; `$(VAR)` references and IPv6 literals stay whole (`tcp://$(HOST_IP):2375`).
 * Both are bounded, so that text from a cluster full of unclosed `$(` costs linear time.
 */
const ENDPOINT_URL =
  /\b(?:unix|tcp|ssh):\/\/(?:\$\([^)\s]{0,128}\)|\[[\w:.%]{0,64}\]|[^\s'"`,;)\]}])*|\bnpipe:(?:\/\/|\\\\)[^\s'"`,;)\]}]*/gi;
const WINDOWS_PIPE = /(?:\\\\|\/\/)\.(?:\\|\/)pipe(?:\\|\/)[\w.-]+/gi;
const BARE_SOCKET_PATH = /(?<![\w/.:-])\/[\w.@/-]*?[\w@-]+\.sock\b/g;

/** Docker socket paths named anywhere in the text (unix URLs, bare paths, Windows pipes). */
export function dockerSocketPathsIn(text: string): LocalSocketRef[] {
  return localSocketsIn(endpointsIn(text)).filter((ref) => isDockerSocket(ref.path));
}

/** Sockets of containerd, CRI-O or podman named in the text. */
export function otherRuntimeSocketPathsIn(text: string): string[] {
  return localSocketsIn(endpointsIn(text))
    .map((ref) => ref.path)
    .filter(isOtherRuntimeSocket);
}

/** `tcp://` and `ssh://` endpoints in the text; the caller decides whether the context is Docker. */
export function networkEndpointsIn(text: string): NetworkRef[] {
  return endpointsIn(text).filter(isNetworkRef);
}

/**
 * The endpoint a whole value names, read as the docker CLI reads DOCKER_HOST: no scheme means
 * TCP (or a socket, for a path). Empty when the value is not a Docker endpoint.
 */
export function dockerHostValue(value: string): SocketRef[] {
  const host = parseDockerHost(value, { wholeValue: true });
  return host ? [toRef(host, value.trim())] : [];
}

function endpointsIn(text: string): SocketRef[] {
  const refs: SocketRef[] = [];
  for (const match of text.matchAll(ENDPOINT_URL)) {
    const host = parseDockerHost(match[0]);
    if (host) refs.push(toRef(host, match[0]));
  }
  for (const pattern of [WINDOWS_PIPE, BARE_SOCKET_PATH]) {
    for (const match of text.matchAll(pattern))
      refs.push({ transport: 'unix', path: normalisePath(match[0]), raw: match[0] });
  }
  return refs;
}

function toRef(host: DockerHost, raw: string): SocketRef {
  return host.transport === 'unix' || host.transport === 'npipe'
    ? { transport: 'unix', path: host.path, raw }
    : { transport: host.transport, host: host.host, port: host.port, raw };
}

/** Local sockets, each path once, in the order the text names them. */
function localSocketsIn(refs: SocketRef[]): LocalSocketRef[] {
  const seen = new Set<string>();
  const sockets: LocalSocketRef[] = [];
  for (const ref of refs) {
    if (ref.transport !== 'unix' || seen.has(ref.path)) continue;
    seen.add(ref.path);
    sockets.push(ref);
  }
  return sockets;
}

const LOOPBACK_HOSTS = /^(?:localhost|127(?:\.\d{1,3}){3}|::1|0\.0\.0\.0)$/i;

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.test(host);
}

/**
 * The line of a (possibly multi-line) text that holds `needle`, at most `max` characters,
 * with credentials in URLs (`scheme://user:password@host`) masked: evidence is shown to people.
 */
export function excerpt(raw: string, needle: string, max = 200): string {
  const text = raw.replace(/(\w+:\/\/)[^/@\s]+@/g, '$1***@');
  const at = Math.max(0, text.indexOf(needle));
  const start = text.lastIndexOf('\n', at) + 1;
  const end = text.indexOf('\n', at);
  const line = text.slice(start, end === -1 ? undefined : end).trim();
  if (line.length <= max) return line;
  const from = Math.max(0, Math.min(line.indexOf(needle) - 40, line.length - max));
  return `${from > 0 ? '…' : ''}${line.slice(from, from + max - 2)}…`;
}
