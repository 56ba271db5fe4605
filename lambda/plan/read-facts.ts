import { configMapsReferencedBy } from '../kube/config-map-refs.ts';
import {
  annotationsOf,
  asArray,
  asString,
  dig,
  isRecord,
  type KubeObject,
  labelsOf,
  nameOf,
  namespaceOf,
  ownerReferencesOf,
  type ResourceRef,
  refOf,
  resourceKey,
} from '../kube/objects.ts';
import { podSpecOf } from '../kube/pod-specs.ts';
import { KUBEADM_CRI_SOCKET_ANNOTATION } from '../rules/lib/node-runtime.ts';
import type {
  BudgetFacts,
  LabelSelector,
  NodeFacts,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  PlanFacts,
  PodFacts,
  Scheduling,
  Taint,
  Toleration,
  WorkloadFacts,
} from './facts.ts';

export const PDB_KIND = 'PodDisruptionBudget';
/** Kinds whose spec.replicas the API server defaults to 1. */
const REPLICATED_KINDS = new Set([
  'Deployment',
  'StatefulSet',
  'ReplicaSet',
  'ReplicationController',
  'Rollout',
]);
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

/** A pod before owners are resolved: the audit resolves them once every controller has been seen. */
export interface PendingPod extends Omit<PodFacts, 'owner'> {
  subject: ResourceRef;
  podTemplateHash?: string;
}

/**
 * One copy of each value that many pods share (namespaces, node names, owners, label sets,
 * ConfigMap names): JSON.parse gives every pod strings of its own, and 150k pods kept about
 * 820 bytes each (120 MB) before their facts shared them. Past `limit` distinct values a
 * value is kept as it came, so a cluster of all-different values costs no more than before.
 */
class SharedValues {
  private readonly seen = new Map<string, unknown>();
  private readonly limit: number;

  constructor(limit = 200_000) {
    this.limit = limit;
  }

  private shared<T>(key: string, value: T): T {
    const known = this.seen.get(key);
    if (known !== undefined) return known as T;
    if (this.seen.size < this.limit) this.seen.set(key, value);
    return value;
  }

  string(value: string): string;
  string(value: string | undefined): string | undefined;
  string(value: string | undefined): string | undefined {
    return value === undefined ? undefined : this.shared(`s\0${value}`, value);
  }

  ref(ref: ResourceRef): ResourceRef {
    return this.shared(`r\0${JSON.stringify([ref.kind, ref.namespace ?? null, ref.name])}`, ref);
  }

  strings(list: readonly string[]): readonly string[] {
    return list.length === 0 ? NONE : this.shared(`l\0${JSON.stringify(list)}`, list);
  }

  record(record: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
    return record === EMPTY ? EMPTY : this.shared(`m\0${JSON.stringify(record)}`, record);
  }
}

const NONE: readonly string[] = Object.freeze([]);

/**
 * Gathers the plan's facts while the audit streams objects past. Keyed by object, so a list
 * that starts over (an expired continue token) changes nothing; what is kept per pod is its
 * name, a few values shared with other pods (SharedValues), never the pod.
 */
export class PlanFactsCollector {
  private readonly nodes = new Map<string, NodeFacts>();
  private readonly workloads = new Map<string, WorkloadFacts>();
  /** Pods by namespace, then name: no key string of its own per pod. */
  private readonly pods = new Map<string, Map<string, PendingPod>>();
  private readonly budgets = new Map<string, BudgetFacts>();
  private readonly shared = new SharedValues();

  /**
   * `subject` is what the audit attributes the object to first (subjectOf); `ref` its identity,
   * a stand-in name for an object without one.
   */
  add(
    object: KubeObject,
    subject: { ref: ResourceRef; podTemplateHash?: string },
    ref = refOf(object),
  ): void {
    if (!ref) return;
    const kind = object.kind;
    if (kind === 'Node') {
      const node = nodeFactsOf(object, ref.name);
      if (node) this.nodes.set(node.name, node);
      return;
    }
    if (kind === PDB_KIND) {
      const budget = budgetFactsOf(object, ref);
      if (budget) this.budgets.set(resourceKey(budget.resource), budget);
      return;
    }
    const site = podSpecOf(object);
    if (!site) return;
    if (site.isPod) {
      const pod = podFactsOf(object, subject, ref.name);
      if (!pod) return;
      const namespace = this.shared.string(pod.namespace ?? '');
      let inNamespace = this.pods.get(namespace);
      if (!inNamespace) {
        inNamespace = new Map();
        this.pods.set(namespace, inNamespace);
      }
      inNamespace.set(pod.name, this.sharing(pod));
      return;
    }
    const resource = ref;
    const facts: WorkloadFacts = {
      resource,
      owner: resource,
      scheduling: schedulingOf(site.spec),
      configMaps: configMapsReferencedBy(object),
    };
    if (REPLICATED_KINDS.has(resource.kind)) {
      const replicas = dig(object, 'spec', 'replicas');
      facts.replicas =
        typeof replicas === 'number' && Number.isInteger(replicas) && replicas >= 0 ? replicas : 1;
    }
    this.workloads.set(resourceKey(resource), facts);
  }

  /** The pod's facts with the values it shares with other pods shared. */
  private sharing(pod: PendingPod): PendingPod {
    const { shared } = this;
    const facts: PendingPod = {
      ...pod,
      subject: shared.ref({
        kind: shared.string(pod.subject.kind),
        name: shared.string(pod.subject.name),
        ...(pod.subject.namespace !== undefined && { namespace: shared.string(pod.subject.namespace) }),
      }),
      labels: shared.record(pod.labels),
      emptyDirs: shared.strings(pod.emptyDirs.map((name) => shared.string(name))),
      configMaps: shared.strings(pod.configMaps.map((name) => shared.string(name))),
    };
    if (pod.namespace !== undefined) facts.namespace = shared.string(pod.namespace);
    if (pod.node !== undefined) facts.node = shared.string(pod.node);
    if (pod.podTemplateHash !== undefined) facts.podTemplateHash = shared.string(pod.podTemplateHash);
    return facts;
  }

  /** The facts, with each pod's top-level owner resolved by the audit's owner index. */
  facts(resolve: (ref: ResourceRef, podTemplateHash?: string) => ResourceRef): PlanFacts {
    const pods: PodFacts[] = [];
    for (const inNamespace of this.pods.values())
      for (const { subject, podTemplateHash, ...pod } of inNamespace.values())
        pods.push({ ...pod, owner: pod.unowned ? subject : resolve(subject, podTemplateHash) });
    return {
      nodes: [...this.nodes.values()],
      workloads: [...this.workloads.values()].map((workload) => ({
        ...workload,
        owner: resolve(workload.resource),
      })),
      pods,
      budgets: [...this.budgets.values()],
    };
  }
}

export function nodeFactsOf(node: KubeObject, name = nameOf(node)): NodeFacts | undefined {
  if (!name) return undefined;
  const taints: Taint[] = [];
  for (const taint of asArray<unknown>(dig(node, 'spec', 'taints')).filter(isRecord)) {
    const key = asString(taint.key);
    const effect = asString(taint.effect);
    if (!key || !effect) continue;
    const value = asString(taint.value);
    taints.push(value === undefined ? { key, effect } : { key, value, effect });
  }
  // A cordoned node carries this taint once the node controller sees it; a snapshot may be earlier.
  if (
    dig(node, 'spec', 'unschedulable') === true &&
    !taints.some((taint) => taint.key === UNSCHEDULABLE_TAINT)
  )
    taints.push({ key: UNSCHEDULABLE_TAINT, effect: 'NoSchedule' });
  const facts: NodeFacts = { name, labels: stringRecord(labelsOf(node)), taints };
  const criSocket = asString(annotationsOf(node)[KUBEADM_CRI_SOCKET_ANNOTATION]);
  if (criSocket !== undefined) facts.criSocket = criSocket;
  return facts;
}

export const UNSCHEDULABLE_TAINT = 'node.kubernetes.io/unschedulable';

export function schedulingOf(spec: unknown): Scheduling {
  const scheduling: Scheduling = {
    nodeSelector: stringRecord(dig(spec, 'nodeSelector')),
    tolerations: asArray<unknown>(dig(spec, 'tolerations')).filter(isRecord).map(tolerationOf),
    hostNetwork: dig(spec, 'hostNetwork') === true,
  };
  const terms = dig(
    spec,
    'affinity',
    'nodeAffinity',
    'requiredDuringSchedulingIgnoredDuringExecution',
    'nodeSelectorTerms',
  );
  if (Array.isArray(terms)) scheduling.requiredTerms = terms.filter(isRecord).map(nodeSelectorTermOf);
  const nodeName = asString(dig(spec, 'nodeName'));
  if (nodeName) scheduling.nodeName = nodeName;
  return scheduling;
}

function tolerationOf(entry: Record<string, unknown>): Toleration {
  const toleration: Toleration = {};
  for (const field of ['key', 'operator', 'value', 'effect'] as const) {
    const value = asString(entry[field]);
    if (value !== undefined && value !== '') toleration[field] = value;
  }
  return toleration;
}

function nodeSelectorTermOf(term: Record<string, unknown>): NodeSelectorTerm {
  return {
    matchExpressions: requirementsOf(term.matchExpressions),
    matchFields: requirementsOf(term.matchFields),
  };
}

function requirementsOf(value: unknown): NodeSelectorRequirement[] {
  return asArray<unknown>(value)
    .filter(isRecord)
    .map((requirement) => ({
      key: asString(requirement.key) ?? '',
      operator: asString(requirement.operator) ?? '',
      values: asArray<unknown>(requirement.values).filter((item): item is string => typeof item === 'string'),
    }));
}

export function podFactsOf(
  pod: KubeObject,
  subject: { ref: ResourceRef; podTemplateHash?: string },
  name = nameOf(pod),
): PendingPod | undefined {
  if (!name) return undefined;
  const spec = pod.spec;
  const owners = ownerReferencesOf(pod).filter((owner) => asString(owner.kind) && asString(owner.name));
  const direct = subject.ref.kind;
  const mirror = owners.some((owner) => owner.kind === 'Node') || MIRROR_ANNOTATION in annotationsOf(pod);
  const drainSkips = mirror || direct === 'DaemonSet';
  const phase = asString(dig(pod, 'status', 'phase'));
  const facts: PendingPod = {
    name,
    subject: subject.ref,
    unowned: owners.length === 0 && !mirror,
    drainSkips,
    active: phase !== 'Succeeded' && phase !== 'Failed',
    // Only pods a drain evicts are matched against budgets: the others' labels are not kept.
    labels: drainSkips ? EMPTY : stringRecord(labelsOf(pod)),
    emptyDirs: drainSkips
      ? []
      : asArray<unknown>(dig(spec, 'volumes'))
          .filter((volume): volume is Record<string, unknown> => isRecord(volume) && 'emptyDir' in volume)
          .map((volume) => asString(volume.name) ?? '(unnamed)'),
    configMaps: configMapsReferencedBy(pod),
  };
  const namespace = namespaceOf(pod);
  if (namespace !== undefined) facts.namespace = namespace;
  const node = asString(dig(spec, 'nodeName'));
  if (node) facts.node = node;
  if (subject.podTemplateHash !== undefined) facts.podTemplateHash = subject.podTemplateHash;
  return facts;
}

export function budgetFactsOf(budget: KubeObject, resource = refOf(budget)): BudgetFacts | undefined {
  if (!resource) return undefined;
  const facts: BudgetFacts = { resource };
  const selector = dig(budget, 'spec', 'selector');
  if (isRecord(selector)) {
    const parsed: LabelSelector = {
      matchLabels: stringRecord(selector.matchLabels),
      matchExpressions: requirementsOf(selector.matchExpressions),
    };
    const empty = Object.keys(parsed.matchLabels).length === 0 && parsed.matchExpressions.length === 0;
    // policy/v1 made an empty selector select every pod of the namespace; in v1beta1 it selected none.
    if (!empty || budget.apiVersion !== 'policy/v1beta1') facts.selector = parsed;
  }
  const intOrString = (value: unknown) =>
    (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'string' ? value : undefined;
  const minAvailable = intOrString(dig(budget, 'spec', 'minAvailable'));
  if (minAvailable !== undefined) facts.minAvailable = minAvailable;
  const maxUnavailable = intOrString(dig(budget, 'spec', 'maxUnavailable'));
  if (maxUnavailable !== undefined) facts.maxUnavailable = maxUnavailable;
  const allowed = dig(budget, 'status', 'disruptionsAllowed');
  if (typeof allowed === 'number' && Number.isFinite(allowed)) facts.disruptionsAllowed = allowed;
  return facts;
}

/** Only string values: labels and selectors from a manifest can hold anything. */
function stringRecord(value: unknown): Readonly<Record<string, string>> {
  if (!isRecord(value)) return EMPTY;
  const entries = Object.entries(value).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );
  return entries.length === Object.keys(value).length
    ? (value as Record<string, string>)
    : Object.fromEntries(entries);
}
