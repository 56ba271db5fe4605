import { asArray, dig, isRecord, type KubeObject, type PodSpec } from './objects.ts';

/**
 * Where a pod spec lives in an object. Kinds differ, but the audit only needs the spec:
 * a Pod carries it at `spec`, every controller (Deployment, DaemonSet, StatefulSet, Job,
 * ReplicaSet, ReplicationController, Argo Rollout, ...) at `spec.template.spec`, a CronJob
 * one level deeper, a PodTemplate at `template.spec`. Tekton Tasks describe their pod as
 * steps and sidecars, so one is assembled from them.
 */
export interface PodSpecSite {
  spec: PodSpec;
  /** True for a running (or scheduled) pod, false for a template that may create pods. */
  isPod: boolean;
}

export const POD_KIND = 'Pod';

export function podSpecOf(obj: KubeObject): PodSpecSite | undefined {
  if (obj.kind === POD_KIND) {
    return isRecord(obj.spec) ? { spec: obj.spec as PodSpec, isPod: true } : undefined;
  }
  const candidates: unknown[] = [
    dig(obj, 'spec', 'template', 'spec'),
    dig(obj, 'spec', 'jobTemplate', 'spec', 'template', 'spec'),
    dig(obj, 'template', 'spec'),
  ];
  for (const candidate of candidates) {
    if (looksLikePodSpec(candidate)) return { spec: candidate as PodSpec, isPod: false };
  }
  if (typeof obj.apiVersion === 'string' && obj.apiVersion.startsWith('tekton.dev/')) {
    return tektonPodSpec(obj);
  }
  return undefined;
}

function looksLikePodSpec(value: unknown): boolean {
  return isRecord(value) && Array.isArray(value.containers);
}

/** Tekton runs each step and sidecar as a container of one pod that shares `spec.volumes`. */
function tektonPodSpec(obj: KubeObject): PodSpecSite | undefined {
  const steps = asArray(dig(obj, 'spec', 'steps'));
  const sidecars = asArray(dig(obj, 'spec', 'sidecars'));
  if (steps.length === 0 && sidecars.length === 0) return undefined;
  const containers = [...steps, ...sidecars].filter(isRecord).map((container) => {
    const script = container.script;
    // A step's script is what its container runs; audit it like arguments.
    return typeof script === 'string'
      ? { ...container, args: [...asArray(container.args), script] }
      : container;
  });
  return { spec: { containers, volumes: dig(obj, 'spec', 'volumes') }, isPod: false };
}
