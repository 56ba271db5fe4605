import { type ResourceRef, resourceKey } from '../kube/objects.ts';
import { resourceLabel } from '../kube/resource-label.ts';
import { type Blocker, BlockerPlacement, type FixStep, OrderGroup, PoolStatus } from '../report/migration.ts';

/** What ordering needs of a pool. */
export interface OrderablePool {
  name: string;
  status: PoolStatus;
  blockers: readonly Blocker[];
  nodesOnDocker: number;
  /** Weighted drain risks (drain-risks.ts): lower goes first. */
  risk: number;
}

export interface PoolOrder {
  order: number | null;
  orderGroup?: OrderGroup;
  prerequisites: string[];
}

const GROUP_RANK: Record<OrderGroup, number> = {
  [OrderGroup.ready]: 0,
  [OrderGroup.afterDaemonSets]: 1,
  [OrderGroup.afterPrerequisites]: 2,
};

/**
 * The order of the move: ready pools first, the least risky first; then pools held back only
 * by DaemonSets (each fixed once, for every pool it runs on), fewest first; then the rest, each
 * with what must happen first. Pools off Docker Engine have no place in it.
 */
export function orderPools(pools: readonly OrderablePool[]): Map<string, PoolOrder> {
  const result = new Map<string, PoolOrder>();
  const moving: Array<{ pool: OrderablePool; group: OrderGroup }> = [];
  for (const pool of pools) {
    if (pool.status === PoolStatus.migrated) {
      result.set(pool.name, { order: null, prerequisites: [] });
      continue;
    }
    moving.push({ pool, group: groupOf(pool) });
  }
  moving.sort(
    (a, b) =>
      GROUP_RANK[a.group] - GROUP_RANK[b.group] ||
      a.pool.blockers.length - b.pool.blockers.length ||
      a.pool.risk - b.pool.risk ||
      a.pool.nodesOnDocker - b.pool.nodesOnDocker ||
      a.pool.name.localeCompare(b.pool.name),
  );
  moving.forEach(({ pool, group }, index) => {
    result.set(pool.name, { order: index + 1, orderGroup: group, prerequisites: prerequisitesOf(pool) });
  });
  return result;
}

function groupOf(pool: OrderablePool): OrderGroup {
  if (pool.status === PoolStatus.ready) return OrderGroup.ready;
  if (pool.blockers.length > 0 && pool.blockers.every(fixedOnceForAll)) return OrderGroup.afterDaemonSets;
  return OrderGroup.afterPrerequisites;
}

/** A DaemonSet, or the configuration only DaemonSets read: one change serves every pool. */
export function fixedOnceForAll(blocker: Blocker): boolean {
  if (blocker.resource.kind === 'DaemonSet') return true;
  return (
    blocker.resource.kind === 'ConfigMap' &&
    blocker.placement !== BlockerPlacement.clusterWide &&
    (blocker.readBy ?? []).length > 0 &&
    (blocker.readBy ?? []).every((reader) => reader.kind === 'DaemonSet')
  );
}

function prerequisitesOf(pool: OrderablePool): string[] {
  if (pool.status === PoolStatus.unverified)
    return ['Read the cluster completely (see what could not be read): a blocker may be in what was missed.'];
  return pool.blockers.map((blocker) => {
    const rules = [...new Set(blocker.findingIds.map(ruleOf))].join(', ');
    const what = `${resourceLabel(blocker.resource)} (${rules})`;
    if (blocker.placement === BlockerPlacement.clusterWide)
      return `Change ${what}: it applies to the whole cluster, so no pool on Docker Engine can move before it.`;
    if (blocker.resource.kind === 'ConfigMap')
      return `Change ${what}, read by ${(blocker.readBy ?? []).map(resourceLabel).join(', ')}, so that it no longer names Docker Engine.`;
    if (blocker.resource.kind === 'DaemonSet')
      return `Fix ${what} so that it works without Docker Engine: one change, for every pool it runs on.`;
    return `Fix ${what} so that it works without Docker Engine, or keep it on a pool that stays on Docker Engine for now.`;
  });
}

/** `DS001-3f9a…` → `DS001`. */
function ruleOf(findingId: string): string {
  return findingId.split('-')[0] ?? findingId;
}

/**
 * The blockers in the order that readies the most nodes soonest: each step is the fix that
 * completes the most pools' worth of nodes given the fixes before it (where none completes a
 * pool yet, the one in the most pools). `readyAfter` counts the pools on Docker Engine that are
 * ready once the step and those before it are done.
 */
export function fixFirst(pools: readonly OrderablePool[]): FixStep[] {
  const onDocker = pools.filter((pool) => pool.status !== PoolStatus.migrated);
  const candidates = new Map<string, { resource: ResourceRef; findingIds: Set<string>; pools: string[] }>();
  for (const pool of onDocker) {
    for (const blocker of pool.blockers) {
      const key = resourceKey(blocker.resource);
      const entry = candidates.get(key) ?? {
        resource: blocker.resource,
        findingIds: new Set<string>(),
        pools: [],
      };
      for (const id of blocker.findingIds) entry.findingIds.add(id);
      entry.pools.push(pool.name);
      candidates.set(key, entry);
    }
  }
  const fixed = new Set<string>();
  const readyWith = (extra: string | undefined) => {
    let readyPools = 0;
    let nodes = 0;
    for (const pool of onDocker) {
      const free =
        pool.status === PoolStatus.ready ||
        (pool.status === PoolStatus.blocked &&
          pool.blockers.every((blocker) => {
            const key = resourceKey(blocker.resource);
            return fixed.has(key) || key === extra;
          }));
      if (free) {
        readyPools++;
        nodes += pool.nodesOnDocker;
      }
    }
    return { pools: readyPools, nodes };
  };
  const steps: FixStep[] = [];
  while (fixed.size < candidates.size) {
    let best: { key: string; nodes: number; spread: number } | undefined;
    for (const [key, candidate] of candidates) {
      if (fixed.has(key)) continue;
      const score = { key, nodes: readyWith(key).nodes, spread: candidate.pools.length };
      if (
        !best ||
        score.nodes > best.nodes ||
        (score.nodes === best.nodes &&
          (score.spread > best.spread || (score.spread === best.spread && key < best.key)))
      )
        best = score;
    }
    if (!best) break;
    fixed.add(best.key);
    const candidate = candidates.get(best.key);
    if (!candidate) break;
    steps.push({
      resource: candidate.resource,
      findingIds: [...candidate.findingIds].sort(),
      pools: [...candidate.pools].sort(),
      readyAfter: readyWith(undefined),
    });
  }
  return steps;
}
