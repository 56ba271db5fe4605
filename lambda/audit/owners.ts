import {
  asString,
  controllerOf,
  type KubeObject,
  labelsOf,
  metaOf,
  nameOf,
  namespaceOf,
  ownerReferencesOf,
  type ResourceRef,
  refOf,
  resourceKey,
} from '../kube/objects.ts';

/**
 * Kinds that only exist on behalf of another controller: their owner is what people manage
 * (a Deployment or Argo Rollout for a ReplicaSet, a CronJob for a Job, an OpenShift
 * DeploymentConfig for a ReplicationController, an Argo CronWorkflow for a Workflow). Every other kind is a workload of its own,
 * even when an operator's custom resource owns it.
 */
const INTERMEDIATE_KINDS = new Set(['ReplicaSet', 'Job', 'ReplicationController', 'Workflow']);

/**
 * Who owns what, kept compact: one entry per controller object (never per pod), so memory
 * follows the number of workloads, not of pods. Findings are attributed at the end of a
 * run, when every owner that will be seen has been seen, whatever the order of the input.
 */
export class OwnerIndex {
  private readonly parents = new Map<string, ResourceRef>();
  private readonly present = new Set<string>();

  /**
   * Records a controller object (ReplicaSet, Job, Deployment, ...). Pods are not recorded.
   * `ref` is the object's identity when it has no name of its own (see identityOf).
   */
  record(object: KubeObject, ref: ResourceRef | undefined = refOf(object)): void {
    if (!ref || ref.kind === 'Pod') return;
    const key = resourceKey(ref);
    this.present.add(key);
    const owner = INTERMEDIATE_KINDS.has(ref.kind) ? ownerRefOf(object) : undefined;
    if (owner && owner.kind !== 'Node') this.parents.set(key, owner);
  }

  /**
   * The top-level owner: climbs ownerReferences through recorded objects; where the owner
   * object is missing from the input, infers the Deployment of a ReplicaSet (its name is the
   * Deployment's plus the pod-template-hash) and the CronJob of a Job (plus the scheduled
   * minute). Workload kinds, and owners of kinds we do not know, stand as given.
   */
  resolve(start: ResourceRef, podTemplateHash?: string): ResourceRef {
    let current = start;
    for (let depth = 0; depth < 8 && INTERMEDIATE_KINDS.has(current.kind); depth++) {
      const key = resourceKey(current);
      const parent = this.parents.get(key);
      if (parent) {
        current = parent;
        continue;
      }
      if (this.present.has(key)) break;
      const inferred = this.infer(current, podTemplateHash);
      if (!inferred) break;
      current = inferred;
    }
    return current;
  }

  private infer(ref: ResourceRef, podTemplateHash: string | undefined): ResourceRef | undefined {
    if (ref.kind === 'ReplicaSet') {
      const stem = stripSuffix(ref.name, /-([a-z0-9]{1,12})$/);
      if (!stem) return undefined;
      const deployment = withName(ref, 'Deployment', stem.name);
      const known = this.present.has(resourceKey(deployment));
      return known || (podTemplateHash !== undefined && stem.suffix === podTemplateHash)
        ? deployment
        : undefined;
    }
    if (ref.kind === 'Job') {
      const stem = stripSuffix(ref.name, /-(\d+)$/);
      if (!stem) return undefined;
      const cronJob = withName(ref, 'CronJob', stem.name);
      // The CronJob controller names Jobs after the scheduled time in minutes since the epoch (8+ digits).
      return this.present.has(resourceKey(cronJob)) || stem.suffix.length >= 8 ? cronJob : undefined;
    }
    if (ref.kind === 'Workflow') {
      const stem = stripSuffix(ref.name, /-(\d+)$/);
      if (!stem) return undefined;
      const cronWorkflow = withName(ref, 'CronWorkflow', stem.name);
      // Argo names a CronWorkflow's runs after the scheduled time in seconds since the epoch (10 digits).
      return this.present.has(resourceKey(cronWorkflow)) || stem.suffix.length >= 10
        ? cronWorkflow
        : undefined;
    }
    return undefined;
  }
}

/** The owner reference as a ResourceRef; owners share the namespace of what they own. */
export function ownerRefOf(object: KubeObject): ResourceRef | undefined {
  const owner = controllerOf(object);
  if (!owner?.kind || !owner.name) return undefined;
  const namespace = namespaceOf(object);
  return namespace === undefined
    ? { kind: owner.kind, name: owner.name }
    : { kind: owner.kind, namespace, name: owner.name };
}

/**
 * What a finding on this object is first attributed to: a pod's controller (a ReplicaSet, a
 * Job, a DaemonSet, ...), the object itself otherwise. A pod owned by its Node is a static
 * pod's mirror and stands for itself. `self` is the object's identity when it has no name.
 */
export function subjectOf(
  object: KubeObject,
  self: ResourceRef | undefined = refOf(object),
): { ref: ResourceRef; podTemplateHash?: string } | undefined {
  if (!self) return undefined;
  if (self.kind !== 'Pod') return { ref: self };
  const owner = ownerRefOf(object);
  if (!owner || owner.kind === 'Node') return { ref: self };
  const hash = labelsOf(object)['pod-template-hash'];
  return typeof hash === 'string' ? { ref: owner, podTemplateHash: hash } : { ref: owner };
}

function stripSuffix(name: string, pattern: RegExp): { name: string; suffix: string } | undefined {
  const match = pattern.exec(name);
  if (!match?.[1] || match.index === 0) return undefined;
  return { name: name.slice(0, match.index), suffix: match[1] };
}

function withName(ref: ResourceRef, kind: string, name: string): ResourceRef {
  return ref.namespace === undefined ? { kind, name } : { kind, namespace: ref.namespace, name };
}

/**
 * Names a vendor's agent may go by: its owners' names (a ReplicaSet's without the template
 * hash), or its own name when nothing owns it. A pod's own generated name adds nothing its
 * owner's does not, and would make every pod's names unique.
 */
export function workloadNames(object: KubeObject): string[] {
  const owners = ownerReferencesOf(object)
    .map((owner) => asString(owner.name))
    .filter((name): name is string => name !== undefined && name !== '');
  if (owners.length === 0) {
    // Without a name, the generateName (`datadog-agent-`) is the name its author meant.
    const name = nameOf(object) || asString(metaOf(object).generateName)?.replace(/-$/, '');
    return name ? [name] : [];
  }
  const hash = labelsOf(object)['pod-template-hash'];
  const suffix = `-${hash}`;
  return hash ? owners.map((name) => (name.endsWith(suffix) ? name.slice(0, -suffix.length) : name)) : owners;
}
