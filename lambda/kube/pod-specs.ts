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
  if (
    typeof obj.apiVersion === 'string' &&
    obj.apiVersion.startsWith('argoproj.io/') &&
    ARGO_WORKFLOW_KINDS.has(String(obj.kind))
  ) {
    return argoPodSpec(obj);
  }
  return undefined;
}

/** Argo Workflows kinds that define pods: a run, and the templates that runs are made from. */
export const ARGO_WORKFLOW_KINDS = new Set([
  'Workflow',
  'WorkflowTemplate',
  'ClusterWorkflowTemplate',
  'CronWorkflow',
]);

function looksLikePodSpec(value: unknown): boolean {
  return isRecord(value) && Array.isArray(value.containers);
}

/**
 * Argo Workflows runs each template as a pod; the workflow's volumes are shared by all of them.
 * Every template's container, script, containerSet, init containers and sidecars are audited as
 * the containers of one pod spec, each named after its template. A CronWorkflow keeps its
 * workflow under `spec.workflowSpec`.
 */
function argoPodSpec(obj: KubeObject): PodSpecSite | undefined {
  const workflow = obj.kind === 'CronWorkflow' ? dig(obj, 'spec', 'workflowSpec') : obj.spec;
  const containers: Record<string, unknown>[] = [];
  const initContainers: Record<string, unknown>[] = [];
  const volumes: unknown[] = [...asArray(dig(workflow, 'volumes'))];
  for (const template of asArray<unknown>(dig(workflow, 'templates')).filter(isRecord)) {
    const name = typeof template.name === 'string' ? template.name : 'template';
    const named = (container: unknown, suffix: string) =>
      isRecord(container)
        ? { ...container, name: suffix ? `${name}/${container.name ?? suffix}` : name }
        : undefined;
    const main = isRecord(template.script)
      ? {
          ...template.script,
          args: [...asArray(template.script.args), template.script.source].filter(
            (arg) => typeof arg === 'string',
          ),
        }
      : template.container;
    for (const container of [
      named(main, ''),
      ...asArray(dig(template, 'containerSet', 'containers')).map((c) => named(c, 'container')),
      ...asArray(template.sidecars).map((c) => named(c, 'sidecar')),
    ]) {
      if (container) containers.push(container);
    }
    for (const container of asArray(template.initContainers).map((c) => named(c, 'init')))
      if (container) initContainers.push(container);
    volumes.push(...asArray(template.volumes));
  }
  if (containers.length === 0 && initContainers.length === 0) return undefined;
  return { spec: { containers, initContainers, volumes }, isPod: false };
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
