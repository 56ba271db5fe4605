import { existsSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { FileTooLarge, readBoundedText } from '../../bounded-read.ts';
import { describeError } from '../../errors.ts';
import { ClusterConnectionError, KubeconfigError } from '../errors.ts';
import type { ClusterEndpoint } from './cluster-endpoint.ts';
import { type ExecCredential, runExecPlugin } from './exec-credential.ts';
import { kubeconfigCredentials } from './kubeconfig-credentials.ts';
import {
  type KubeconfigText,
  MAX_KUBECONFIG_BYTES,
  parseKubeconfig,
  tooLarge,
} from './kubeconfig-document.ts';

/**
 * Where the kubeconfig text comes from: a file (the CLI) or a secret (Lambda: Secrets
 * Manager or SSM). It is read again for every cluster, so that each gets its own client and
 * nothing cached for one cluster reaches the next.
 */
export interface KubeconfigSource {
  origin: string;
  /** The texts, in the order kubectl merges them. */
  read(): Promise<KubeconfigText[]>;
  /** exec credential plugins run local commands: fine on a laptop, impossible in Lambda. */
  allowExec: boolean;
}

export function kubeconfigFromFile(path: string): KubeconfigSource {
  return kubeconfigFromFiles([path]);
}

export function kubeconfigFromText(text: string, origin: string, allowExec = false): KubeconfigSource {
  return { origin, allowExec, read: async () => [{ origin, text }] };
}

/** The kubeconfig files kubectl would use: $KUBECONFIG (a path list) or ~/.kube/config. */
export function defaultKubeconfigPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.KUBECONFIG)
    return env.KUBECONFIG.split(delimiter).filter((path) => path !== '' && existsSync(path));
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  return existsSync(home) ? [home] : [];
}

/** Several files merged as kubectl merges them (the first file to name an entry wins). */
export function kubeconfigFromFiles(paths: readonly string[]): KubeconfigSource {
  if (paths.length === 0) throw new ClusterConnectionError('no kubeconfig file');
  return {
    origin: paths.join(delimiter),
    allowExec: true,
    read: () => Promise.all(paths.map(readKubeconfigFile)),
  };
}

async function readKubeconfigFile(path: string): Promise<KubeconfigText> {
  try {
    // Bounded: a huge file would fail as "Invalid string length", or take the memory with it.
    return { origin: path, text: await readBoundedText(path, MAX_KUBECONFIG_BYTES), dir: dirname(path) };
  } catch (error) {
    if (error instanceof FileTooLarge) throw tooLarge(path, error.bytes);
    throw new KubeconfigError(
      path,
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? describeError(error)})`,
    );
  }
}

export interface KubeconfigContexts {
  contexts: string[];
  current: string | undefined;
  /** Contexts whose cluster says insecure-skip-tls-verify: the server's certificate is not checked. */
  insecure: string[];
}

/** The contexts of a kubeconfig. Throws a KubeconfigError when its outline is wrong. */
export async function readContexts(source: KubeconfigSource): Promise<KubeconfigContexts> {
  const config = parseKubeconfig(await source.read());
  const insecure = config.contextNames.filter((name) => {
    try {
      return config.resolve(name).cluster.insecureSkipTlsVerify;
    } catch {
      return false; // that context fails with its own error when it is read
    }
  });
  return { contexts: config.contextNames, current: config.currentContext, insecure };
}

/** auth-provider plugins kubectl removed in 1.26: their command runs synchronously and would block the whole run. */
const REMOVED_AUTH_PROVIDERS: Record<string, string> = {
  gcp: 'gke-gcloud-auth-plugin',
  azure: 'kubelogin',
};

/**
 * Connects to one context of a kubeconfig with a client of its own. `signal` is the cluster's
 * deadline: a credential plugin still running then is killed.
 */
export async function kubeconfigEndpoint(
  source: KubeconfigSource,
  context: string,
  signal: AbortSignal = new AbortController().signal,
): Promise<ClusterEndpoint> {
  const kubeconfig = parseKubeconfig(await source.read());
  if (!kubeconfig.contextNames.includes(context)) {
    const known = kubeconfig.contextNames;
    throw new ClusterConnectionError(
      `the kubeconfig ${source.origin} has no context "${context}"`,
      known.length > 0 ? `Its contexts: ${known.join(', ')}.` : 'It has no contexts at all.',
    );
  }
  const { cluster, user } = kubeconfig.resolve(context);
  if (!source.allowExec && (user?.exec || user?.authProvider)) {
    throw new ClusterConnectionError(
      `context "${context}" authenticates with ${user.exec ? `an exec plugin (${user.exec.command})` : `the ${user.authProvider?.name} auth provider`}, which cannot run in Lambda: there is no such command there, and it would run with the function's rights`,
      'For EKS use a cluster entry of type "eks" (IAM). For GKE, AKS and others, store a kubeconfig with a ServiceAccount token (bound to deploy/rbac.yaml) or a client certificate.',
    );
  }
  const removed = user?.authProvider && REMOVED_AUTH_PROVIDERS[user.authProvider.name];
  if (removed) {
    throw new ClusterConnectionError(
      `context "${context}" uses the ${user?.authProvider?.name} auth provider, which kubectl removed in 1.26`,
      `Use the exec plugin that replaced it (${removed}); kubectl's documentation shows the kubeconfig entry.`,
    );
  }
  const plugin = user?.exec;
  let credential: ExecCredential | undefined = plugin && (await runExecPlugin(plugin, cluster, signal));
  const credentials = await kubeconfigCredentials(cluster, user, source.origin);
  const options: RequestOptions = {};
  try {
    await credentials.tls(options);
  } catch (error) {
    throw new ClusterConnectionError(
      `context "${context}": ${describeError(error).split('\n')[0]}`,
      'Check the files and data the kubeconfig names for this context (certificate-authority, client-certificate, client-key).',
      error,
    );
  }
  // A certificate from the plugin is PEM, as TLS takes it; the library would read it as base64.
  if (credential?.clientCertificateData) {
    options.cert = credential.clientCertificateData;
    options.key = credential.clientKeyData;
  }
  // Our own pool: kept alive for the pages of one run, and closed when the cluster is done.
  const agent =
    cluster.proxyUrl && options.agent instanceof HttpAgent
      ? options.agent
      : cluster.server.startsWith('http:')
        ? new HttpAgent({ keepAlive: true, maxSockets: 4 })
        : new HttpsAgent({
            keepAlive: true,
            maxSockets: 4,
            ...(options.ca !== undefined && { ca: options.ca }),
            ...(options.cert !== undefined && { cert: options.cert }),
            ...(options.key !== undefined && { key: options.key }),
            ...(options.pfx !== undefined && { pfx: options.pfx }),
            ...(options.passphrase !== undefined && { passphrase: options.passphrase }),
            ...(cluster.tlsServerName !== undefined && { servername: cluster.tlsServerName }),
            rejectUnauthorized: !cluster.insecureSkipTlsVerify,
          });
  // One plugin run at a time, shared by the requests that need it (pages and configz reads overlap).
  let refreshing: Promise<ExecCredential> | undefined;
  const freshCredential = async (requestSignal: AbortSignal): Promise<ExecCredential | undefined> => {
    if (!plugin) return undefined;
    if (credential && (credential.expiresAt === undefined || credential.expiresAt - Date.now() > 10_000))
      return credential;
    refreshing ??= runExecPlugin(plugin, cluster, requestSignal).finally(() => {
      refreshing = undefined;
    });
    credential = await refreshing;
    return credential;
  };
  return {
    server: cluster.server,
    agent,
    context,
    ...(user !== undefined && { identity: `kubeconfig user ${user.name}` }),
    ...(cluster.insecureSkipTlsVerify && { insecureSkipTlsVerify: true }),
    secrets: [
      user?.token,
      user?.password,
      user?.keyData,
      ...Object.values(user?.authProvider?.config ?? {}),
      ...[options.key, options.pfx, options.passphrase].map((value) => value?.toString()),
    ].filter((value): value is string => value !== undefined),
    async authorize(requestSignal = signal) {
      // Asked per request: exec plugins and auth providers renew credentials during long runs.
      const headers = await credentials.headers();
      const token = (await freshCredential(requestSignal))?.token;
      if (token && !user?.token) headers.Authorization = `Bearer ${token}`;
      return headers;
    },
    close: () => agent.destroy(),
  };
}
