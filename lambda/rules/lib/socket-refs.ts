import { isDockerSocket, isOtherRuntimeSocket, normalisePath } from './host-paths.ts';

/**
 * Docker endpoints named in text: an env value, a command-line argument, a config file.
 * `unix://` and `npipe://` URLs, bare socket paths, Windows pipes, and `tcp://` URLs when the
 * text says they are for Docker.
 */
export type SocketRef =
  | { transport: 'unix'; path: string; raw: string }
  | { transport: 'tcp'; host: string; port?: number; raw: string };

/** Absolute paths only: `unix://csi/csi.sock` is relative to a client's directory, not a node path. */
const UNIX_URL = /unix:\/\/(\/[^\s'"`,;)\]}]+)/g;
const NPIPE_URL = /npipe:(?:\/\/|\\\\)[^\s'"`,;)\]}]*/gi;
const WINDOWS_PIPE = /(?:\\\\|\/\/)\.(?:\\|\/)pipe(?:\\|\/)[\w.-]+/gi;
const BARE_SOCKET_PATH = /(?<![\w/.:-])\/[\w.@/-]*?[\w@-]+\.sock\b/g;
/** Host is an IPv6 literal, a `$(VAR)` reference (resolved by the caller) or a name. */
const TCP_URL = /tcp:\/\/(\[[^\]]+\]|\$\([^)]+\)|[^\s'"`,;/:)\]}]+)(?::(\d+))?/gi;

/** Docker socket paths named anywhere in the text (unix URLs, bare paths, Windows pipes). */
export function dockerSocketPathsIn(text: string): SocketRef[] {
  return socketPathsIn(text).filter((ref) => ref.transport === 'unix' && isDockerSocket(ref.path));
}

/** Sockets of containerd, CRI-O or podman named in the text. */
export function otherRuntimeSocketPathsIn(text: string): string[] {
  return socketPathsIn(text)
    .filter((ref): ref is Extract<SocketRef, { transport: 'unix' }> => ref.transport === 'unix')
    .map((ref) => ref.path)
    .filter(isOtherRuntimeSocket);
}

function socketPathsIn(text: string): SocketRef[] {
  const refs: SocketRef[] = [];
  const seen = new Set<string>();
  const add = (raw: string, path: string) => {
    const normalised = normalisePath(path);
    if (seen.has(normalised)) return;
    seen.add(normalised);
    refs.push({ transport: 'unix', path: normalised, raw });
  };
  for (const match of text.matchAll(UNIX_URL)) add(match[0], match[1] ?? '');
  // npipe:////./pipe/x and npipe:\\.\pipe\x both name the pipe \\.\pipe\x.
  for (const match of text.matchAll(NPIPE_URL)) add(match[0], match[0].replace(/^npipe:[\\/]+/i, '//'));
  for (const match of text.matchAll(WINDOWS_PIPE)) add(match[0], match[0]);
  for (const match of text.matchAll(BARE_SOCKET_PATH)) add(match[0], match[0]);
  return refs;
}

/** `tcp://` endpoints in the text; the caller decides whether the context is Docker. */
export function tcpEndpointsIn(text: string): SocketRef[] {
  const refs: SocketRef[] = [];
  for (const match of text.matchAll(TCP_URL)) {
    const host = (match[1] ?? '').replace(/^\[(.*)\]$/, '$1');
    const ref: SocketRef = { transport: 'tcp', host, raw: match[0] };
    if (match[2]) ref.port = Number(match[2]);
    refs.push(ref);
  }
  return refs;
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
