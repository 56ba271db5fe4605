import { createHash } from 'node:crypto';
import { type ResourceRef, resourceKey } from '../kube/objects.ts';
import type { Evidence } from '../rules/rule.ts';

/**
 * A finding's id: the same problem gets the same id tomorrow. It is made of the cluster, the
 * rule, the top-level resource, the container and the evidence that names the problem; not of
 * pod names, nodes, mount paths, images or times, which change without the problem changing.
 */
export function findingId(
  cluster: string,
  rule: string,
  resource: ResourceRef,
  container: string | undefined,
  evidence: Evidence,
): string {
  const identity = [
    cluster,
    rule,
    resourceKey(resource),
    container ?? '',
    evidence.hostPath ?? '',
    envName(evidence.env),
    evidence.endpoint ?? '',
    evidence.configKey ?? '',
    evidence.annotation ?? '',
    evidence.node ?? '',
  ].join('\u0000');
  return `${rule}-${createHash('sha256').update(identity).digest('hex').slice(0, 16)}`;
}

function envName(env: string | undefined): string {
  return env === undefined ? '' : (env.split('=')[0] ?? '');
}
