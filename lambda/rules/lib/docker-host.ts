import { normalisePath } from './host-paths.ts';

/**
 * A Docker endpoint as the Docker clients read DOCKER_HOST, `-H` and friends:
 * - docker/cli `opts.ParseHost`: `tcp://`, `unix://`, `npipe://`, `ssh://` (and `fd://`, which
 *   only the daemon listens on); an empty address means the default of its scheme; a value with
 *   no scheme is TCP, or a unix socket when it is a path; TCP gets port 2375 when it has none.
 * - moby `client.ParseHostURL`: splits at `://`; only `tcp` goes through a URL parser, so its
 *   path, query and fragment are ignored; unix and npipe addresses are taken literally.
 * - docker-py `parse_host`: `unix://var/run/docker.sock` is `unix:///var/run/docker.sock` "for
 *   legacy reasons", trailing slashes are dropped, and `http(s)://` is accepted for TCP.
 * A spelling one of these clients accepts is accepted here; the rest is not a Docker endpoint.
 */
export type DockerHost =
  | { transport: 'unix'; path: string }
  | { transport: 'npipe'; path: string }
  | { transport: 'tcp' | 'ssh'; host: string; port: number };

/** IANA-registered Docker ports: plain and TLS. */
export const DOCKER_PORTS: ReadonlySet<number> = new Set([2375, 2376]);
const DEFAULT_TCP_PORT = 2375;
const DEFAULT_SSH_PORT = 22;
const DEFAULT_UNIX_SOCKET = '/var/run/docker.sock';
const DEFAULT_NAMED_PIPE = '//./pipe/docker_engine';
const WINDOWS_PIPE = /^(?:\\\\|\/\/)\.(?:\\|\/)pipe(?:\\|\/)/i;

export interface ParseOptions {
  /**
   * The whole value is a Docker host (DOCKER_HOST): a value without a scheme is read as the
   * docker CLI reads it, and `http(s)://` as docker-py does. Off for URLs found in free text,
   * where a bare `host:port` or an http URL is almost never a Docker endpoint.
   */
  wholeValue?: boolean;
}

export function parseDockerHost(raw: string, options: ParseOptions = {}): DockerHost | undefined {
  const value = raw.trim();
  const separator = value.indexOf('://');
  // `npipe:\\.\pipe\docker_engine`: Windows spells the pipe with backslashes after the colon.
  if (separator === -1 && /^npipe:/i.test(value)) return namedPipe(value.slice(6));
  if (separator === -1) return options.wholeValue ? parseWithoutScheme(value) : undefined;
  const scheme = value.slice(0, separator).toLowerCase();
  const address = value.slice(separator + 3);
  switch (scheme) {
    case 'unix':
      return unixSocket(address);
    case 'npipe':
      return namedPipe(address);
    case 'tcp':
      return networkHost('tcp', address, DEFAULT_TCP_PORT);
    case 'http':
    case 'https':
      return options.wholeValue ? networkHost('tcp', address, DEFAULT_TCP_PORT) : undefined;
    case 'ssh':
      return networkHost('ssh', address, DEFAULT_SSH_PORT);
    default:
      return undefined;
  }
}

function parseWithoutScheme(value: string): DockerHost | undefined {
  if (value === '') return undefined;
  if (WINDOWS_PIPE.test(value)) return namedPipe(value);
  if (value.startsWith('/')) return unixSocket(value);
  return networkHost('tcp', value, DEFAULT_TCP_PORT);
}

/**
 * The address is a file path, taken literally by the Go client. A relative one
 * (`unix://var/run/docker.sock`) is read from `/`: docker-py says so, and the Go client resolves
 * it against the working directory, which is `/` unless the image sets another.
 */
function unixSocket(address: string): DockerHost | undefined {
  if (address.includes('://')) return undefined;
  const path = address === '' ? DEFAULT_UNIX_SOCKET : address;
  return { transport: 'unix', path: normalisePath(path.startsWith('/') ? path : `/${path}`) };
}

/** `npipe:////./pipe/docker_engine` and `npipe:\\.\pipe\docker_engine`; empty is Docker's pipe. */
function namedPipe(address: string): DockerHost | undefined {
  const pipe = address || DEFAULT_NAMED_PIPE;
  if (!WINDOWS_PIPE.test(pipe)) return undefined;
  return { transport: 'npipe', path: normalisePath(pipe) };
}

/**
 * TCP and SSH go through a URL parser, as the Docker client's `url.Parse`: user info, path, query
 * and fragment are dropped; an empty host is localhost (docker CLI); a missing port is the default.
 */
function networkHost(transport: 'tcp' | 'ssh', address: string, defaultPort: number): DockerHost | undefined {
  if (address === '')
    return transport === 'tcp' ? { transport, host: 'localhost', port: defaultPort } : undefined;
  if (address.includes('://')) return undefined;
  const withHost = address.startsWith(':') ? `localhost${address}` : address;
  let url: URL;
  try {
    url = new URL(`${transport}://${withHost}`);
  } catch {
    return undefined;
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') return undefined;
  return { transport, host, port: url.port === '' ? defaultPort : Number(url.port) };
}
