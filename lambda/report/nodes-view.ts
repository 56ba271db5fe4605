import { RUNTIME_CATEGORIES, RUNTIME_LABELS, type RuntimeCategory } from './migration.ts';
import type { NodeReport } from './model.ts';
import { round } from './svg.ts';

/** The node runtime donut and counts (partials/nodes.hbs). */

export interface NodesView {
  total: number;
  onDocker: number;
  offDocker: number;
  /** Share of nodes that no longer run Docker Engine, in whole percent. */
  migratedPercent: number;
  runtimes: Array<{ category: RuntimeCategory; label: string; count: number }>;
  radius: number;
  /** Donut segments on a circle of `radius`. */
  donut: Array<{ category: RuntimeCategory; dashArray: string; dashOffset: number }>;
}

/** Circumference 100, so that dash lengths are percentages. */
const DONUT_RADIUS = 15.9155;

export function nodesView(nodes: readonly NodeReport[]): NodesView {
  const total = nodes.length;
  const onDocker = nodes.filter((node) => node.dockerEngine).length;
  const runtimes = RUNTIME_CATEGORIES.map((category) => ({
    category,
    label: RUNTIME_LABELS[category],
    count: nodes.filter((node) => node.runtimeCategory === category).length,
  })).filter((entry) => entry.count > 0);
  let offset = 0;
  const donut = runtimes.map((entry) => {
    const length = round((entry.count / total) * 100);
    const segment = {
      category: entry.category,
      dashArray: `${length} ${round(100 - length)}`,
      dashOffset: round(25 - offset),
    };
    offset += length;
    return segment;
  });
  return {
    total,
    onDocker,
    offDocker: total - onDocker,
    migratedPercent: total === 0 ? 0 : Math.floor(((total - onDocker) / total) * 100),
    radius: DONUT_RADIUS,
    runtimes,
    donut,
  };
}
