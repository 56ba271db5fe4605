import { CfnCondition, Fn, Stack, Token } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { ClusterEntry } from '../lambda/config/lambda-config.ts';
import { isSameAccountEksCluster } from './audit-permissions.ts';
import { READER_GROUP } from './settings.ts';

export interface ClusterAccessEntriesProps {
  clusters: readonly ClusterEntry[];
  role: iam.IRole;
}

/**
 * EKS access entries that map the function's role to the group deploy/rbac.yaml binds, for
 * the clusters this stack can reach: EKS entries without a roleArn (same account) in the
 * stack's region, since an access entry is a resource of the cluster's region. A cluster in
 * another region or account gets its entry from whoever runs that cluster.
 */
export class ClusterAccessEntries extends Construct {
  readonly entries: eks.CfnAccessEntry[] = [];

  constructor(scope: Construct, id: string, props: ClusterAccessEntriesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const seen = new Set<string>();
    for (const cluster of props.clusters.filter(isSameAccountEksCluster)) {
      // Two entries naming one cluster would be one access entry created twice.
      const key = `${cluster.region}/${cluster.clusterName}`;
      if (seen.has(key)) continue;
      seen.add(key);
      // An environment-agnostic stack learns its region at deploy time: decide there.
      const regionKnown = !Token.isUnresolved(stack.region);
      if (regionKnown && cluster.region !== stack.region) continue;
      const entry = new eks.CfnAccessEntry(this, `Entry-${cluster.name}`, {
        clusterName: cluster.clusterName,
        principalArn: props.role.roleArn,
        kubernetesGroups: [READER_GROUP],
        type: 'STANDARD',
      });
      if (!regionKnown) {
        entry.cfnOptions.condition = new CfnCondition(this, `InRegion-${cluster.name}`, {
          expression: Fn.conditionEquals(stack.region, cluster.region),
        });
      }
      this.entries.push(entry);
    }
  }
}
