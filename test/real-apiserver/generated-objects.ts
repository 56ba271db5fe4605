import type { ClusterData } from '../simulator/cluster-data.ts';
import { SERVED_KINDS } from '../simulator/cluster-data.ts';

type Json = Record<string, unknown>;

/** Resource → kind and group; generated clusters hold only core, apps and batch kinds, all at v1. */
const KIND_OF_RESOURCE = new Map(
  Object.entries(SERVED_KINDS).map(([kind, served]) => [served.resource, { kind, group: served.group }]),
);

/**
 * A generated cluster's objects as manifests (kind and apiVersion restored), resource by
 * resource, nodes first, in batches: the benchmark's 100k pods never sit in memory at once.
 */
export function* generatedObjects(data: ClusterData, batch = 2_000): Generator<Json[]> {
  const order = [...data.resources.keys()].sort((a, b) => Number(b === 'nodes') - Number(a === 'nodes'));
  for (const resource of order) {
    const list = data.resources.get(resource);
    const served = KIND_OF_RESOURCE.get(resource);
    if (!list || !served) continue;
    const { kind } = served;
    const apiVersion = served.group === '' ? 'v1' : `${served.group}/v1`;
    for (let start = 0; start < list.count; start += batch) {
      const objects: Json[] = [];
      for (let index = start; index < Math.min(list.count, start + batch); index++)
        objects.push({ apiVersion, kind, ...(JSON.parse(list.json(index)) as Json) });
      yield objects;
    }
  }
}
