import { dig, isRecord, type KubeObject } from '../kube/objects.ts';

/**
 * Turns one parsed document into the objects it holds: `List` and `*List` documents (what
 * `kubectl get -o json|yaml` prints) are flattened, and objects that lost their kind (a Node
 * or a Pod saved from a support bundle) get it back when their shape leaves no doubt.
 */
export function objectsIn(document: unknown): KubeObject[] {
  const objects: KubeObject[] = [];
  forEachObject(document, [], (object) => objects.push(object));
  return objects;
}

/**
 * Hands each object of a document to `visit` with its place among the List items that hold
 * it (`[3]` is the third item, `[3, 2]` the second item of a List that is the third item).
 * Returns how many values were neither an object nor a List (a Helm values file, a number in
 * `items`), so that the caller can say so. Recursion follows List nesting, which the parsers
 * have already bounded.
 */
export function forEachObject(
  document: unknown,
  items: readonly number[],
  visit: (object: KubeObject, items: readonly number[]) => void,
): number {
  if (!isRecord(document)) return document === null || document === undefined ? 0 : 1;
  if (Array.isArray(document.items) && isListEnvelope(document)) {
    let skipped = 0;
    document.items.forEach((item: unknown, index) => {
      skipped += forEachObject(item, [...items, index + 1], visit);
    });
    return skipped;
  }
  const kind = typeof document.kind === 'string' ? document.kind : inferKind(document);
  if (!kind) return 1;
  visit(document.kind === kind ? (document as KubeObject) : ({ ...document, kind } as KubeObject), items);
  return 0;
}

/** A document whose `items` are objects of their own: a List, a *List, or a bare `{items: [...]}`. */
export function isListEnvelope(document: Record<string, unknown>): boolean {
  return document.kind === undefined || isListKind(document.kind);
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
