import { Agent as HttpsAgent } from 'node:https';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { describeError } from '../../errors.ts';
import { ClusterConnectionError } from '../errors.ts';
import type { ClusterEndpoint } from './cluster-endpoint.ts';
import { EKS_TOKEN_RENEW_AFTER_MS, type EksToken, eksToken } from './eks-token.ts';

export interface EksCluster {
  clusterName: string;
  region: string;
  /** A role to assume first, for clusters in other accounts. */
  roleArn?: string;
}

export interface EksDependencies {
  /** Credentials of the function (or the CLI user); defaults to the SDK's provider chain. */
  credentials?: AwsCredentialIdentityProvider;
  now?: () => Date;
}

/**
 * Connects to an EKS cluster through IAM: DescribeCluster gives the endpoint and the CA, and
 * a token signed with the (optionally assumed) role authenticates every request. Each
 * cluster gets its own credentials, client and connection pool.
 */
export async function eksEndpoint(
  cluster: EksCluster,
  dependencies: EksDependencies = {},
): Promise<ClusterEndpoint> {
  const now = dependencies.now ?? (() => new Date());
  const base = dependencies.credentials ?? fromNodeProviderChain();
  const credentials = cluster.roleArn
    ? fromTemporaryCredentials({
        masterCredentials: base,
        params: { RoleArn: cluster.roleArn, RoleSessionName: 'dockershim-audit', DurationSeconds: 3600 },
        clientConfig: { region: cluster.region },
      })
    : base;
  const eks = new EKSClient({ region: cluster.region, credentials });
  let endpoint: string | undefined;
  let caData: string | undefined;
  try {
    const described = await eks.send(new DescribeClusterCommand({ name: cluster.clusterName }));
    endpoint = described.cluster?.endpoint;
    caData = described.cluster?.certificateAuthority?.data;
  } catch (error) {
    throw new ClusterConnectionError(
      `cannot describe EKS cluster ${cluster.clusterName} in ${cluster.region}: ${describeError(error)}`,
      'The function needs eks:DescribeCluster on this cluster (and sts:AssumeRole on the role, if one is set).',
      error,
    );
  } finally {
    eks.destroy();
  }
  if (!endpoint || !caData) {
    throw new ClusterConnectionError(
      `EKS cluster ${cluster.clusterName} has no endpoint or certificate authority yet (is it still creating?)`,
    );
  }
  const agent = new HttpsAgent({ keepAlive: true, maxSockets: 4, ca: Buffer.from(caData, 'base64') });
  let current: EksToken | undefined;
  return {
    server: endpoint,
    agent,
    identity: cluster.roleArn ? `IAM role ${cluster.roleArn}` : 'IAM identity of the audit',
    async authorize() {
      const at = now();
      if (!current || at.getTime() - current.signedAt.getTime() > EKS_TOKEN_RENEW_AFTER_MS) {
        current = await eksToken({
          clusterName: cluster.clusterName,
          region: cluster.region,
          credentials,
          now: at,
        });
      }
      return { Authorization: `Bearer ${current.token}` };
    },
    close: () => agent.destroy(),
  };
}
