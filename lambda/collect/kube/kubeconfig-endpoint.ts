import { existsSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { ClusterConnectionError } from '../errors.ts';
import type { ClusterEndpoint } from './cluster-endpoint.ts';

/**
 * Where the kubeconfig text comes from: a file (the CLI) or a secret (Lambda: Secrets
 * Manager or SSM). `loadInto` fills a new KubeConfig each time it is called, so that every
 * cluster gets its own client and nothing cached for one cluster reaches the next.
 */
export interface KubeconfigSource {
  origin: string;
  /** Fills `config`; `newConfig` makes another one, for merging several files. */
  loadInto(config: KubeConfig, newConfig: () => KubeConfig): void;
  /** exec credential plugins run local commands: fine on a laptop, impossible in Lambda. */
  allowExec: boolean;
}

export function kubeconfigFromFile(path: string): KubeconfigSource {
  return { origin: path, allowExec: true, loadInto: (config) => config.loadFromFile(path) };
}

export function kubeconfigFromText(text: string, origin: string, allowExec = false): KubeconfigSource {
  return { origin, allowExec, loadInto: (config) => config.loadFromString(text) };
}

/** The kubeconfig files kubectl would use: $KUBECONFIG (a path list) or ~/.kube/config. */
export function defaultKubeconfigPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.KUBECONFIG)
    return env.KUBECONFIG.split(delimiter).filter((path) => path !== '' && existsSync(path));
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  return existsSync(home) ? [home] : [];
}

/** Several files merged as kubectl merges them (the first file's current context wins). */
export function kubeconfigFromFiles(paths: readonly string[]): KubeconfigSource {
  const [first, ...rest] = paths;
  if (!first) throw new ClusterConnectionError('no kubeconfig file');
  return {
    origin: paths.join(delimiter),
    allowExec: true,
    loadInto: (config, newConfig) => {
      config.loadFromFile(first);
      for (const path of rest) {
        const other = newConfig();
        other.loadFromFile(path);
        config.mergeConfig(other, true);
      }
    },
  };
}

export interface KubeconfigContexts {
  contexts: string[];
  current: string | undefined;
}

export async function readContexts(source: KubeconfigSource): Promise<KubeconfigContexts> {
  const config = await load(source);
  const current = config.getCurrentContext();
  return { contexts: config.getContexts().map((context) => context.name), current: current || undefined };
}

/**
 * client-node is loaded on first use: it takes half a second and 80 MB, which a scan of
 * manifest files, and `--help`, should not pay for.
 */
async function load(source: KubeconfigSource): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const config = new KubeConfig();
  try {
    source.loadInto(config, () => new KubeConfig());
  } catch (error) {
    throw new ClusterConnectionError(
      `cannot read the kubeconfig ${source.origin}: ${error instanceof Error ? error.message.split('\n')[0] : error}`,
      'Check that it is a valid kubeconfig (kubectl config view --kubeconfig ...).',
      error,
    );
  }
  return config;
}

/** Connects to one context of a kubeconfig with a client of its own. */
export async function kubeconfigEndpoint(
  source: KubeconfigSource,
  context: string,
): Promise<ClusterEndpoint> {
  const config = await load(source);
  if (!config.getContextObject(context)) {
    const known = config.getContexts().map((entry) => entry.name);
    throw new ClusterConnectionError(
      `the kubeconfig ${source.origin} has no context "${context}"`,
      known.length > 0 ? `Its contexts: ${known.join(', ')}.` : 'It has no contexts at all.',
    );
  }
  config.setCurrentContext(context);
  const cluster = config.getCurrentCluster();
  const user = config.getCurrentUser();
  if (!cluster?.server)
    throw new ClusterConnectionError(`context "${context}" has no cluster server address`);
  if (!source.allowExec && (user?.exec || user?.authProvider)) {
    throw new ClusterConnectionError(
      `context "${context}" authenticates with ${user.exec ? `an exec plugin (${user.exec.command})` : `the ${user.authProvider?.name} auth provider`}, which cannot run in Lambda: there is no such command there, and it would run with the function's rights`,
      'For EKS use a cluster entry of type "eks" (IAM). For GKE, AKS and others, store a kubeconfig with a ServiceAccount token (bound to deploy/rbac.yaml) or a client certificate.',
    );
  }
  const options: RequestOptions = {};
  await config.applyToHTTPSOptions(options);
  const insecure = cluster.skipTLSVerify === true;
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
            rejectUnauthorized: !insecure,
          });
  return {
    server: cluster.server,
    agent,
    context,
    ...(user?.name !== undefined && { identity: `kubeconfig user ${user.name}` }),
    async authorize() {
      // Asked per request: exec plugins and token files rotate credentials during long runs.
      const fresh: RequestOptions = {};
      await config.applyToHTTPSOptions(fresh);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(fresh.headers ?? {}))
        if (typeof value === 'string') headers[name] = value;
      if (typeof fresh.auth === 'string')
        headers.Authorization = `Basic ${Buffer.from(fresh.auth).toString('base64')}`;
      return headers;
    },
    close: () => agent.destroy(),
  };
}
