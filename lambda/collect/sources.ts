import { readStoredText, type StoredTextLocation } from '../config/stored-text.ts';
import { describeError } from '../errors.ts';
import type { ClusterSource } from './cluster-source.ts';
import { ClusterConnectionError } from './errors.ts';
import type { RetryPolicy } from './kube/api-client.ts';
import type { EksCluster, EksDependencies } from './kube/eks-endpoint.ts';
import {
  type KubeconfigSource,
  kubeconfigEndpoint,
  kubeconfigFromText,
  readContexts,
} from './kube/kubeconfig-endpoint.ts';
import { KubernetesSource } from './kubernetes-source.ts';

/** How live clusters are read, whatever the entry that asked. */
export interface LiveReadOptions {
  configMapNames: readonly string[];
  readKubeletConfig?: boolean;
  deadlineMs?: number;
  /** The largest API answer read (after gzip). */
  maxResponseBytes?: number;
  pageSize?: number;
  retry?: Partial<RetryPolicy>;
}

/** One source per context of a kubeconfig; each connects with a client of its own. */
export function kubeconfigContextSources(
  kubeconfig: KubeconfigSource,
  contexts: readonly string[],
  options: LiveReadOptions,
): ClusterSource[] {
  return contexts.map(
    (context) =>
      new KubernetesSource({
        ...options,
        name: context,
        describe: { context },
        connect: (signal) => kubeconfigEndpoint(kubeconfig, context, signal),
      }),
  );
}

export function eksClusterSource(
  name: string,
  cluster: EksCluster,
  options: LiveReadOptions,
  dependencies: EksDependencies = {},
): ClusterSource {
  return new KubernetesSource({
    ...options,
    name,
    describe: {},
    // AWS SDK clients load only where they are used: the CLI over a kubeconfig never pays for them.
    connect: async () => (await import('./kube/eks-endpoint.ts')).eksEndpoint(cluster, dependencies),
  });
}

export type KubeconfigSecret = StoredTextLocation;

/**
 * A cluster whose kubeconfig is kept in Secrets Manager or SSM (Lambda). The secret is read
 * when the cluster's turn comes, so a missing or unreadable secret fails that cluster only.
 * exec plugins are refused: Lambda has no such commands.
 */
export function storedKubeconfigSource(
  name: string,
  secret: KubeconfigSecret,
  context: string | undefined,
  options: LiveReadOptions,
): ClusterSource {
  const origin =
    'secretArn' in secret ? `secret ${secret.secretArn}` : `SSM parameter ${secret.parameterName}`;
  return new KubernetesSource({
    ...options,
    name,
    describe: context === undefined ? {} : { context },
    connect: async (signal) => {
      const kubeconfig = kubeconfigFromText(await readStoredKubeconfig(secret, origin), origin, false);
      const chosen = context ?? (await readContexts(kubeconfig)).current;
      if (!chosen)
        throw new ClusterConnectionError(
          `the kubeconfig in ${origin} has no current-context`,
          'Set "context" in the cluster entry.',
        );
      return kubeconfigEndpoint(kubeconfig, chosen, signal);
    },
  });
}

async function readStoredKubeconfig(secret: KubeconfigSecret, origin: string): Promise<string> {
  let text: string | undefined;
  try {
    text = await readStoredText(secret);
  } catch (error) {
    throw new ClusterConnectionError(
      `cannot read the kubeconfig from ${origin}: ${describeError(error)}`,
      'The function needs secretsmanager:GetSecretValue (or ssm:GetParameter and kms:Decrypt) on it.',
      error,
    );
  }
  if (!text) throw new ClusterConnectionError(`${origin} is empty`);
  return text;
}
