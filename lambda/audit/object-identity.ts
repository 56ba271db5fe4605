import { createHash } from 'node:crypto';
import type { ObjectOrigin } from '../collect/cluster-source.ts';
import { asString, type KubeObject, metaOf, namespaceOf, type ResourceRef, refOf } from '../kube/objects.ts';

/**
 * Appended to a generateName to name an object that has only that: `runner-(generated)`.
 * Kubernetes names cannot hold parentheses, so a stand-in never collides with a real name.
 */
export const GENERATED_SUFFIX = '(generated)';

export interface ObjectIdentity {
  ref: ResourceRef;
  /** The object has no `metadata.name`; `ref.name` stands in for it. */
  standIn: boolean;
}

/**
 * What an object is called in findings. Objects without `metadata.name` (pod templates kept
 * in CI plugin files, `kubectl create` manifests with only `generateName`, objects with no
 * metadata at all) are audited like any other under a stand-in name that is the same on every
 * run for the same input: their generateName with a marker; else their place in the input
 * (file, document, List item); else, from a live source, their uid or a hash of their spec.
 */
export function identityOf(object: KubeObject, origin?: ObjectOrigin): ObjectIdentity | undefined {
  const named = refOf(object);
  if (named) return { ref: named, standIn: false };
  const kind = asString(object.kind);
  if (!kind) return undefined;
  const name = scalarName(object) ?? standInName(object, origin);
  const namespace = namespaceOf(object);
  return {
    ref: namespace === undefined ? { kind, name } : { kind, namespace, name },
    standIn: scalarName(object) === undefined,
  };
}

/** `name: 123` in YAML is a number; it is still the name the author gave. */
function scalarName(object: KubeObject): string | undefined {
  const name: unknown = metaOf(object).name;
  return typeof name === 'number' || typeof name === 'boolean' ? String(name) : undefined;
}

function standInName(object: KubeObject, origin: ObjectOrigin | undefined): string {
  const meta = metaOf(object);
  const generateName = asString(meta.generateName);
  if (generateName) return `${generateName}${GENERATED_SUFFIX}`;
  if (origin) return `(unnamed: ${describeOrigin(origin)})`;
  const uid = asString(meta.uid);
  if (uid) return `(unnamed: uid ${uid})`;
  const spec = JSON.stringify(object.spec ?? null);
  return `(unnamed: spec sha256 ${createHash('sha256').update(spec).digest('hex').slice(0, 16)})`;
}

/** `k8s/ci.yaml document 2`, `snapshot.json document 1 item 57`. */
export function describeOrigin(origin: ObjectOrigin): string {
  const item = origin.items.length > 0 ? ` item ${origin.items.join('.')}` : '';
  return `${origin.source} document ${origin.document}${item}`;
}
