import { asArray, asString, dig, isRecord, type KubeObject } from './objects.ts';
import { podSpecOf } from './pod-specs.ts';

/**
 * Where a pod spec names a ConfigMap. A live audit reads the ConfigMaps named here (docs/cluster-access.md's
 * "what it reads" lists these places; a test keeps the two in step), because what configures an
 * agent is the ConfigMap it mounts, whatever that ConfigMap is called.
 */
export const CONFIG_MAP_REFERENCES = [
  { field: 'volumes[].configMap', what: 'configMap volumes' },
  { field: 'volumes[].projected.sources[].configMap', what: 'projected volumes' },
  { field: 'containers[].envFrom[].configMapRef', what: 'envFrom' },
  { field: 'containers[].env[].valueFrom.configMapKeyRef', what: 'configMapKeyRef' },
] as const;

const referenced = new WeakMap<KubeObject, readonly string[]>();

/**
 * The names of the ConfigMaps an object's pod spec refers to, each once, in the object's own
 * namespace (a pod can only use ConfigMaps of its namespace). Init and ephemeral containers count.
 * Worked out once per object: a live audit asks for every pod twice (which ConfigMaps to keep,
 * and the plan), 0.3 s of a 20k-pod audit when both worked it out.
 */
export function configMapsReferencedBy(object: KubeObject): readonly string[] {
  let names = referenced.get(object);
  if (names === undefined) {
    names = namesReferencedBy(object);
    referenced.set(object, names);
  }
  return names;
}

function namesReferencedBy(object: KubeObject): string[] {
  const site = podSpecOf(object);
  if (!site) return [];
  const names = new Set<string>();
  const add = (name: unknown) => {
    const value = asString(name);
    if (value) names.add(value);
  };
  for (const volume of asArray<unknown>(site.spec.volumes).filter(isRecord)) {
    add(dig(volume, 'configMap', 'name'));
    for (const source of asArray<unknown>(dig(volume, 'projected', 'sources')))
      add(dig(source, 'configMap', 'name'));
  }
  const containers = [site.spec.containers, site.spec.initContainers, site.spec.ephemeralContainers].flatMap(
    (list) => asArray<unknown>(list).filter(isRecord),
  );
  for (const container of containers) {
    for (const source of asArray<unknown>(container.envFrom)) add(dig(source, 'configMapRef', 'name'));
    for (const variable of asArray<unknown>(container.env))
      add(dig(variable, 'valueFrom', 'configMapKeyRef', 'name'));
  }
  return [...names];
}
