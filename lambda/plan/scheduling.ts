import type {
  LabelSelector,
  LabelSelectorRequirement,
  NodeFacts,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  Scheduling,
  Taint,
  Toleration,
} from './facts.ts';

/**
 * Could the scheduler (or the DaemonSet controller) put a pod of this template on this node?
 * The node selector, required node affinity and the taints that repel (NoSchedule, NoExecute)
 * decide, as the scheduler's filters do; preferences and resources do not.
 */
export function canSchedule(
  scheduling: Scheduling,
  node: NodeFacts,
  options: { daemonSet: boolean },
): boolean {
  if (scheduling.nodeName !== undefined && scheduling.nodeName !== node.name) return false;
  for (const [key, value] of Object.entries(scheduling.nodeSelector)) {
    if (node.labels[key] !== value) return false;
  }
  if (scheduling.requiredTerms !== undefined && !matchesAnyTerm(scheduling.requiredTerms, node)) return false;
  const tolerations = options.daemonSet
    ? [...scheduling.tolerations, ...daemonSetTolerations(scheduling.hostNetwork)]
    : scheduling.tolerations;
  return node.taints.every((taint) => taint.effect === 'PreferNoSchedule' || tolerated(taint, tolerations));
}

/**
 * The DaemonSet controller adds these to every DaemonSet pod, so that node conditions and a
 * cordon do not keep it off (and network-unavailable for host-network pods).
 */
function daemonSetTolerations(hostNetwork: boolean): Toleration[] {
  const tolerations: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (hostNetwork)
    tolerations.push({
      key: 'node.kubernetes.io/network-unavailable',
      operator: 'Exists',
      effect: 'NoSchedule',
    });
  return tolerations;
}

/** Terms are alternatives; an empty list matches nothing, as the API server reads it. */
function matchesAnyTerm(terms: readonly NodeSelectorTerm[], node: NodeFacts): boolean {
  return terms.some(
    (term) =>
      (term.matchExpressions.length > 0 || term.matchFields.length > 0) &&
      term.matchExpressions.every((requirement) => matchesRequirement(requirement, node.labels)) &&
      term.matchFields.every((requirement) =>
        requirement.key === 'metadata.name'
          ? matchesRequirement({ ...requirement, key: 'name' }, { name: node.name })
          : false,
      ),
  );
}

/** One requirement against a label set: In, NotIn, Exists, DoesNotExist, and Gt/Lt for nodes. */
export function matchesRequirement(
  requirement: NodeSelectorRequirement | LabelSelectorRequirement,
  labels: Readonly<Record<string, string>>,
): boolean {
  const value = Object.hasOwn(labels, requirement.key) ? labels[requirement.key] : undefined;
  switch (requirement.operator) {
    case 'In':
      return value !== undefined && requirement.values.includes(value);
    case 'NotIn':
      return value === undefined || !requirement.values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      const [bound] = requirement.values;
      if (value === undefined || bound === undefined || requirement.values.length !== 1) return false;
      if (!/^-?\d+$/.test(value) || !/^-?\d+$/.test(bound)) return false;
      const [have, limit] = [Number(value), Number(bound)];
      return requirement.operator === 'Gt' ? have > limit : have < limit;
    }
    default:
      // An operator the API server would have refused: it selects nothing.
      return false;
  }
}

/** A label selector (a PodDisruptionBudget's): every label and every expression must match. */
export function matchesSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  return (
    Object.entries(selector.matchLabels).every(([key, value]) => labels[key] === value) &&
    selector.matchExpressions.every((requirement) => matchesRequirement(requirement, labels))
  );
}

/** As the scheduler tolerates: same effect (or none given), and Exists, or Equal with the same value. */
export function tolerated(taint: Taint, tolerations: readonly Toleration[]): boolean {
  return tolerations.some((toleration) => {
    if (toleration.effect !== undefined && toleration.effect !== taint.effect) return false;
    const operator = toleration.operator ?? 'Equal';
    if (operator === 'Exists') return toleration.key === undefined || toleration.key === taint.key;
    if (operator !== 'Equal') return false;
    return toleration.key === taint.key && (toleration.value ?? '') === (taint.value ?? '');
  });
}
