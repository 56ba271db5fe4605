import { dig, isRecord, type KubeObject } from '../kube/objects.ts';

/**
 * Turns one parsed document into the objects it holds: `List` and `*List` documents (what
 * `kubectl get -o json|yaml` prints) are flattened, and objects that lost their kind (a Node
 * or a Pod saved from a support bundle) get it back when their shape leaves no doubt.
 */
export function objectsIn(document: unknown): KubeObject[] {
  if (!isRecord(document)) return [];
  if (Array.isArray(document.items) && (isListKind(document.kind) || document.kind === undefined)) {
    return document.items.flatMap(objectsIn);
  }
  const kind = typeof document.kind === 'string' ? document.kind : inferKind(document);
  if (!kind) return [];
  return [document.kind === kind ? (document as KubeObject) : ({ ...document, kind } as KubeObject)];
}

function isListKind(kind: unknown): boolean {
  return typeof kind === 'string' && (kind === 'List' || kind.endsWith('List'));
}

/** Only shapes that no other kind has: a Node's nodeInfo, a Pod's containers directly under spec. */
function inferKind(object: Record<string, unknown>): string | undefined {
  if (!isRecord(object.metadata)) return undefined;
  if (isRecord(dig(object, 'status', 'nodeInfo'))) return 'Node';
  if (Array.isArray(dig(object, 'spec', 'containers'))) return 'Pod';
  return undefined;
}
