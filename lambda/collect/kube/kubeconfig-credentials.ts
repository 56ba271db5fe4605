import type { RequestOptions } from 'node:https';
import type { Cluster as LibraryCluster, User as LibraryUser } from '@kubernetes/client-node';
import { FileTooLarge, readBoundedText } from '../../bounded-read.ts';
import { describeError } from '../../errors.ts';
import { KubeconfigError } from '../errors.ts';
import type { KubeconfigCluster, KubeconfigUser } from './kubeconfig-document.ts';

/**
 * What a kubeconfig context's cluster and user give each request: the TLS material (CA,
 * client certificate and key, server name, whether to verify) and the headers (a bearer token,
 * basic auth, impersonation, an auth provider's token). Exec plugins are not here: they are
 * ours, with a deadline (exec-credential.ts).
 */
export interface KubeconfigCredentials {
  /** Sets the TLS options, and for a proxied cluster its agent. Once per endpoint. */
  tls(options: RequestOptions): Promise<void>;
  /** The headers of one request: an auth provider may renew its token during a long run. */
  headers(): Promise<Record<string, string>>;
}

/**
 * client-node for what only it does here (auth providers such as OIDC, impersonation,
 * proxies); plain credentials (a client certificate, a token or token file, a user name and
 * password, to a cluster without a proxy: most kubeconfigs, and every ServiceAccount's) are
 * applied here as client-node applies them, without loading it. The library takes about half
 * a second and 60 MB to load, and its 20 MB of live heap raise what V8 lets the audit's heap
 * grow to before it collects: about 80 MB of peak memory on a 20k-pod cluster
 * (docs/performance.md).
 */
export async function kubeconfigCredentials(
  cluster: KubeconfigCluster,
  user: KubeconfigUser | undefined,
  origin: string,
): Promise<KubeconfigCredentials> {
  const token = user?.token ?? (user?.tokenFile ? await readTokenFile(user.tokenFile, origin) : undefined);
  return needsLibrary(cluster, user)
    ? libraryCredentials(cluster, user, token)
    : plainCredentials(cluster, user, token);
}

function needsLibrary(cluster: KubeconfigCluster, user: KubeconfigUser | undefined): boolean {
  return (
    cluster.proxyUrl !== undefined || user?.authProvider !== undefined || user?.impersonate !== undefined
  );
}

/** The largest CA bundle, certificate or key file read: a system CA bundle is a few hundred KB. */
const MAX_TLS_FILE_BYTES = 4 * 1024 * 1024;

/**
 * As client-node's applyHTTPSOptions and applyAuthorizationHeader do it: a file before its
 * `-data` twin, `-data` as base64, the token as a bearer token, a user name with its password
 * as basic auth, and a plain-HTTP server refused unless the kubeconfig says not to verify TLS.
 * Files are read with a bound (client-node's are not).
 */
function plainCredentials(
  cluster: KubeconfigCluster,
  user: KubeconfigUser | undefined,
  token: string | undefined,
): KubeconfigCredentials {
  return {
    async tls(options) {
      // Credentials in clear text only when the kubeconfig says not to verify anyway.
      if (cluster.server.startsWith('http:') && !cluster.insecureSkipTlsVerify)
        throw new Error('HTTP protocol is not allowed when skipTLSVerify is not set or false');
      if (cluster.insecureSkipTlsVerify) options.rejectUnauthorized = false;
      if (cluster.tlsServerName) options.servername = cluster.tlsServerName;
      const ca = await fileOrData(cluster.caFile, cluster.caData);
      if (ca) options.ca = ca;
      const cert = await fileOrData(user?.certFile, user?.certData);
      if (cert) options.cert = cert;
      const key = await fileOrData(user?.keyFile, user?.keyData);
      if (key) options.key = key;
    },
    async headers(): Promise<Record<string, string>> {
      if (token) return { Authorization: `Bearer ${token}` };
      if (user?.username)
        return {
          Authorization: `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}`,
        };
      return {};
    },
  };
}

async function fileOrData(file: string | undefined, data: string | undefined): Promise<Buffer | undefined> {
  if (file) {
    try {
      return Buffer.from(await readBoundedText(file, MAX_TLS_FILE_BYTES));
    } catch (error) {
      if (error instanceof FileTooLarge)
        throw new Error(`${file} is ${error.bytes} bytes or more; a certificate or key is a few KB`);
      throw error;
    }
  }
  return data ? Buffer.from(data, 'base64') : undefined;
}

/** client-node, given one checked cluster and user; it loads on first use. */
async function libraryCredentials(
  cluster: KubeconfigCluster,
  user: KubeconfigUser | undefined,
  token: string | undefined,
): Promise<KubeconfigCredentials> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const config = new KubeConfig();
  const libraryCluster: LibraryCluster = {
    name: cluster.name,
    server: cluster.server,
    skipTLSVerify: cluster.insecureSkipTlsVerify,
    ...(cluster.caData !== undefined && { caData: cluster.caData }),
    ...(cluster.caFile !== undefined && { caFile: cluster.caFile }),
    ...(cluster.tlsServerName !== undefined && { tlsServerName: cluster.tlsServerName }),
    ...(cluster.proxyUrl !== undefined && { proxyUrl: cluster.proxyUrl }),
  };
  const libraryUser: LibraryUser = {
    name: user?.name ?? 'anonymous',
    ...(token !== undefined && { token }),
    ...(user?.certData !== undefined && { certData: user.certData }),
    ...(user?.certFile !== undefined && { certFile: user.certFile }),
    ...(user?.keyData !== undefined && { keyData: user.keyData }),
    ...(user?.keyFile !== undefined && { keyFile: user.keyFile }),
    ...(user?.username !== undefined && { username: user.username }),
    ...(user?.password !== undefined && { password: user.password }),
    ...(user?.impersonate !== undefined && { impersonateUser: user.impersonate }),
    ...(user?.authProvider !== undefined && { authProvider: user.authProvider }),
  };
  config.loadFromClusterAndUser(libraryCluster, libraryUser);
  return {
    tls: (options) => config.applyToHTTPSOptions(options),
    async headers() {
      // Asked per request: an auth provider's token may be renewed during a long run.
      const fresh: RequestOptions = {};
      await config.applyToHTTPSOptions(fresh);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(fresh.headers ?? {}))
        if (typeof value === 'string') headers[name] = value;
      if (typeof fresh.auth === 'string')
        headers.Authorization = `Basic ${Buffer.from(fresh.auth).toString('base64')}`;
      return headers;
    },
  };
}

const MAX_TOKEN_FILE_BYTES = 64 * 1024;

async function readTokenFile(path: string, origin: string): Promise<string> {
  try {
    return (await readBoundedText(path, MAX_TOKEN_FILE_BYTES)).trim();
  } catch (error) {
    if (error instanceof FileTooLarge)
      throw new KubeconfigError(
        origin,
        `token-file ${path} is ${error.bytes} bytes or more; a token is a few KB`,
      );
    throw new KubeconfigError(
      origin,
      `token-file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? describeError(error)})`,
    );
  }
}
