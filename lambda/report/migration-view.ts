import { resourceLabel } from '../kube/resource-label.ts';
import { clip, plural } from '../text.ts';
import { CodeBlock } from './escape.ts';
import {
  BlockerPlacement,
  DrainRiskKind,
  type Migration,
  OrderGroup,
  type PoolPlan,
  PoolSource,
  PoolStatus,
  RUNTIME_CATEGORIES,
  RUNTIME_LABELS,
  RunbookRoute,
  type RuntimeCategory,
} from './migration.ts';
import type { ClusterReport } from './model.ts';
import { round } from './svg.ts';

/**
 * The migration section of the reports, prepared from each cluster's `migration`: a picture of
 * the pools (nodes coloured by runtime, ready pools marked), the fixes that free the most nodes,
 * a table of pools in order and, folded under each, its blockers, drain risks and runbook.
 * Templates lay this out and compute nothing.
 */
export interface MigrationView {
  /** False when no cluster has a plan to show (no nodes anywhere). */
  present: boolean;
  headline: string;
  /** Cluster headings are shown only when there are several. */
  multipleClusters: boolean;
  clusters: ClusterMigrationView[];
}

export interface ClusterMigrationView {
  cluster: string;
  anchor: string;
  summary: string;
  notes: string[];
  picture?: PoolPicture;
  /** "Fix these 3 DaemonSets, and 12 of 15 pools are ready." */
  fixSentence?: string;
  /** The DaemonSets (and configuration) the sentence means. */
  fixNames: string[];
  fixSteps: FixStepView[];
  pools: PoolView[];
}

export interface FixStepView {
  position: number;
  label: string;
  rules: string;
  pools: string;
  after: string;
}

export interface PoolPicture {
  width: number;
  height: number;
  rows: PoolRow[];
  legend: Array<{ category: RuntimeCategory; label: string; x: number }>;
  legendY: number;
  /** Where the status column starts. */
  statusX: number;
}

export interface PoolRow {
  y: number;
  height: number;
  /** Clipped to fit beside the nodes; `title` has the whole name. */
  label: string;
  title: string;
  labelY: number;
  ready: boolean;
  status: PoolStatus;
  statusLabel: string;
  squares: Array<{ x: number; y: number; category: RuntimeCategory; title: string }>;
  /** When a square stands for several nodes. */
  scale?: string;
}

export interface PoolView {
  pool: PoolPlan;
  anchor: string;
  orderLabel: string;
  statusLabel: string;
  sourceLabel: string;
  runtimeLabel: string;
  kubeletLabel: string;
  nodesLabel: string;
  blockerLabels: string[];
  riskLabel: string;
  /** One line for the folded part's summary. */
  heading: string;
  blockers: Array<{ label: string; reason: string; placement: string }>;
  risks: Array<{ label: string; kind: string; reason: string }>;
  /** Risks left out of the listing (report.json has them all). */
  moreRisks: number;
  runbook: { route: string; notes: string[]; steps: Array<{ title: string; code: CodeBlock }> };
}

const STATUS_LABELS: Record<PoolStatus, string> = {
  ready: 'ready to move',
  blocked: 'blocked',
  unverified: 'not verified',
  migrated: 'off Docker Engine',
};

const SOURCE_LABELS: Record<PoolSource, string> = {
  [PoolSource.eksManaged]: 'EKS managed node group',
  [PoolSource.karpenter]: 'Karpenter',
  [PoolSource.gke]: 'GKE node pool',
  [PoolSource.aks]: 'AKS agent pool',
  [PoolSource.kops]: 'kops instance group',
  [PoolSource.policy]: 'policy label',
  [PoolSource.runtimeAndKubelet]: 'no pool label',
};

const ROUTE_LABELS: Record<RunbookRoute, string> = {
  [RunbookRoute.inPlace]: 'in place, node by node',
  [RunbookRoute.eksManagedNodeGroup]: 'a new EKS managed node group',
  [RunbookRoute.gkeNodePool]: 'a new GKE node image',
  [RunbookRoute.none]: 'nothing to do',
};

const PLACEMENT_LABELS: Record<BlockerPlacement, string> = {
  [BlockerPlacement.runsHere]: 'runs here',
  [BlockerPlacement.scheduledHere]: 'would be scheduled here',
  [BlockerPlacement.clusterWide]: 'whole cluster',
};

const RISK_LABELS: Record<DrainRiskKind, string> = {
  [DrainRiskKind.noDisruptionAllowed]: 'budget allows no disruption',
  [DrainRiskKind.singleReplica]: 'single replica',
  [DrainRiskKind.unownedPod]: 'no controller',
  [DrainRiskKind.emptyDir]: 'emptyDir data',
};

/** Drain risks listed per pool, the worst first; a pool of thousands of pods has thousands. */
const LISTED_RISKS = 50;

/** Picture geometry, in SVG user units. */
const PICTURE = {
  width: 1000,
  labelWidth: 190,
  statusWidth: 150,
  square: 12,
  gap: 3,
  rowGap: 10,
  maxRows: 3,
} as const;
const PER_ROW = Math.floor(
  (PICTURE.width - PICTURE.labelWidth - PICTURE.statusWidth) / (PICTURE.square + PICTURE.gap),
);

export function migrationView(clusters: readonly ClusterReport[]): MigrationView {
  const views = clusters.flatMap((cluster, index) =>
    cluster.migration && (cluster.migration.pools.length > 0 || cluster.migration.notes.length > 0)
      ? [clusterMigrationView(cluster, cluster.migration, `cluster-${index + 1}`)]
      : [],
  );
  const plans = clusters.flatMap((cluster) => (cluster.migration ? [cluster.migration] : []));
  const sum = (pick: (plan: Migration) => number) => plans.reduce((total, plan) => total + pick(plan), 0);
  const onDocker = sum((plan) => plan.summary.poolsOnDocker);
  const ready = sum((plan) => plan.summary.ready);
  const nodesOnDocker = sum((plan) => plan.summary.nodesOnDocker);
  const headline =
    sum((plan) => plan.summary.pools) === 0
      ? 'No node pools to plan: no nodes were read.'
      : onDocker === 0
        ? 'Every node pool is off Docker Engine.'
        : `${ready} of ${onDocker} ${plural(onDocker, 'pool')} on Docker Engine ${ready === 1 ? 'is' : 'are'} ready to move now (${sum((plan) => plan.summary.nodesReady)} of ${nodesOnDocker} ${plural(nodesOnDocker, 'node')}).`;
  return { present: views.length > 0, headline, multipleClusters: clusters.length > 1, clusters: views };
}

function clusterMigrationView(cluster: ClusterReport, plan: Migration, anchor: string): ClusterMigrationView {
  const { summary } = plan;
  const view: ClusterMigrationView = {
    cluster: cluster.name,
    anchor: `${anchor}-plan`,
    summary:
      summary.pools === 0
        ? 'No pools.'
        : `${summary.pools} ${plural(summary.pools, 'pool')} of ${summary.nodes} ${plural(summary.nodes, 'node')}: ${[
            summary.ready > 0 ? `${summary.ready} ready` : '',
            summary.blocked > 0 ? `${summary.blocked} blocked` : '',
            summary.unverified > 0 ? `${summary.unverified} not verified` : '',
            summary.migrated > 0 ? `${summary.migrated} off Docker Engine` : '',
          ]
            .filter(Boolean)
            .join(', ')}.`,
    notes: plan.notes,
    fixSteps: plan.fixFirst.map((step, index) => ({
      position: index + 1,
      label: resourceLabel(step.resource),
      rules: [...new Set(step.findingIds.map((id) => id.split('-')[0] ?? id))].join(', '),
      pools: `blocks ${step.pools.join(', ')}`,
      after: `then ${step.readyAfter.pools} of ${summary.poolsOnDocker} ${plural(summary.poolsOnDocker, 'pool')} ready (${step.readyAfter.nodes} of ${summary.nodesOnDocker} ${plural(summary.nodesOnDocker, 'node')})`,
    })),
    pools: plan.pools.map((pool, index) => poolView(pool, `${anchor}-pool-${index + 1}`)),
    fixNames: [],
  };
  const fix = fixSentence(plan);
  if (fix) {
    view.fixSentence = fix.sentence;
    view.fixNames = fix.names;
  }
  if (plan.pools.length > 0) {
    const runtimes = new Map(cluster.nodes.map((node) => [node.name, node.runtimeCategory]));
    view.picture = poolPicture(plan.pools, runtimes);
  }
  return view;
}

/** The DaemonSets (and their configuration) that, fixed once, free every pool they alone block. */
function fixSentence(plan: Migration): { sentence: string; names: string[] } | undefined {
  const pools = plan.pools.filter((pool) => pool.orderGroup === OrderGroup.afterDaemonSets);
  if (pools.length === 0) return undefined;
  const fixes = new Map<string, string>();
  for (const pool of pools)
    for (const blocker of pool.blockers) fixes.set(resourceLabel(blocker.resource), blocker.resource.kind);
  const kinds = [...new Set(fixes.values())].sort((a, b) =>
    a === 'DaemonSet' ? -1 : b === 'DaemonSet' ? 1 : a.localeCompare(b),
  );
  const what = kinds
    .map((kind) => {
      const n = [...fixes.values()].filter((entry) => entry === kind).length;
      return fixes.size === 1 ? kind : `${n} ${n === 1 ? kind : `${kind}s`}`;
    })
    .join(' and ');
  const ready = plan.summary.ready + pools.length;
  const nodes = plan.summary.nodesReady + pools.reduce((total, pool) => total + pool.nodesOnDocker, 0);
  return {
    sentence: `Fix ${fixes.size === 1 ? 'this' : 'these'} ${what}, and ${ready} of ${plan.summary.poolsOnDocker} ${plural(plan.summary.poolsOnDocker, 'pool')} on Docker Engine ${ready === 1 ? 'is' : 'are'} ready (${nodes} of ${plan.summary.nodesOnDocker} ${plural(plan.summary.nodesOnDocker, 'node')}).`,
    names: [...fixes.keys()].sort(),
  };
}

function poolView(pool: PoolPlan, anchor: string): PoolView {
  const riskCounts = new Map<DrainRiskKind, number>();
  for (const risk of pool.drainRisks) riskCounts.set(risk.kind, (riskCounts.get(risk.kind) ?? 0) + 1);
  const orderLabel = pool.order === null ? '–' : String(pool.order);
  const statusLabel =
    pool.status === PoolStatus.blocked ? `blocked by ${pool.blockers.length}` : STATUS_LABELS[pool.status];
  return {
    pool,
    anchor,
    orderLabel,
    statusLabel,
    sourceLabel: pool.label
      ? `${SOURCE_LABELS[pool.source]} (${pool.label.key})`
      : SOURCE_LABELS[pool.source],
    runtimeLabel:
      pool.runtime === 'mixed'
        ? RUNTIME_CATEGORIES.filter((category) => (pool.runtimes[category] ?? 0) > 0)
            .map((category) => `${pool.runtimes[category]} ${RUNTIME_LABELS[category]}`)
            .join(', ')
        : RUNTIME_LABELS[pool.runtime],
    kubeletLabel: pool.kubeletVersions.join(', ') || 'unknown',
    nodesLabel: `${pool.nodes.length}${pool.nodesOnDocker > 0 && pool.nodesOnDocker < pool.nodes.length ? ` (${pool.nodesOnDocker} on Docker Engine)` : ''}`,
    blockerLabels: pool.blockers.map((blocker) => resourceLabel(blocker.resource)),
    riskLabel:
      pool.drainRisks.length === 0
        ? pool.nodesOnDocker > 0
          ? 'none found'
          : ''
        : [...riskCounts].map(([kind, n]) => `${n} ${RISK_LABELS[kind]}`).join(', '),
    heading: `${pool.order === null ? '' : `${orderLabel}. `}${pool.name}: ${statusLabel}${pool.runbook.route === RunbookRoute.none ? '' : `; runbook: ${ROUTE_LABELS[pool.runbook.route]}`}`,
    blockers: pool.blockers.map((blocker) => ({
      label: resourceLabel(blocker.resource),
      reason: blocker.reason,
      placement: PLACEMENT_LABELS[blocker.placement],
    })),
    risks: pool.drainRisks.slice(0, LISTED_RISKS).map((risk) => ({
      label: `${resourceLabel(risk.resource)}${risk.pods > 1 ? ` (${risk.pods} pods)` : ''}`,
      kind: RISK_LABELS[risk.kind],
      reason: risk.reason,
    })),
    moreRisks: Math.max(0, pool.drainRisks.length - LISTED_RISKS),
    runbook: {
      route: ROUTE_LABELS[pool.runbook.route],
      notes: pool.runbook.notes,
      steps: pool.runbook.steps.map((step) => ({ title: step.title, code: new CodeBlock(step.commands) })),
    },
  };
}

/**
 * One row per pool: its name, a square per node coloured by runtime (up to three rows of them;
 * beyond that a square stands for several nodes), and its status, ready pools on a green band.
 */
function poolPicture(
  pools: readonly PoolPlan[],
  runtimes: ReadonlyMap<string, RuntimeCategory>,
): PoolPicture {
  const rows: PoolRow[] = [];
  let y = PICTURE.rowGap;
  for (const pool of pools) {
    const perSquare = Math.max(1, Math.ceil(pool.nodes.length / (PER_ROW * PICTURE.maxRows)));
    const squares = squaresOf(pool, perSquare, runtimes);
    const lines = Math.max(1, Math.ceil(squares.length / PER_ROW));
    const height = lines * (PICTURE.square + PICTURE.gap) - PICTURE.gap + 8;
    const row: PoolRow = {
      y,
      height,
      label: clip(pool.name, 22),
      title: `${pool.name}: ${pool.nodes.length} ${plural(pool.nodes.length, 'node')}, ${STATUS_LABELS[pool.status]}`,
      labelY: round(y + height / 2 + 4),
      ready: pool.ready,
      status: pool.status,
      statusLabel:
        pool.status === PoolStatus.blocked
          ? `blocked by ${pool.blockers.length}`
          : STATUS_LABELS[pool.status],
      squares: squares.map((square, index) => ({
        x: PICTURE.labelWidth + (index % PER_ROW) * (PICTURE.square + PICTURE.gap),
        y: y + 4 + Math.floor(index / PER_ROW) * (PICTURE.square + PICTURE.gap),
        category: square.category,
        title: square.title,
      })),
    };
    if (perSquare > 1) row.scale = `each square: ${perSquare} nodes`;
    rows.push(row);
    y += height + PICTURE.rowGap;
  }
  const present = RUNTIME_CATEGORIES.filter((category) =>
    pools.some((pool) => (pool.runtimes[category] ?? 0) > 0),
  );
  let x = PICTURE.labelWidth;
  const legend = present.map((category) => {
    const entry = { category, label: RUNTIME_LABELS[category], x };
    x += 30 + RUNTIME_LABELS[category].length * 7;
    return entry;
  });
  return {
    width: PICTURE.width,
    height: y + 22,
    rows,
    legend,
    legendY: y + 10,
    statusX: PICTURE.width - PICTURE.statusWidth + 10,
  };
}

/** Squares in runtime order; each names its node, or says how many nodes it stands for. */
function squaresOf(
  pool: PoolPlan,
  perSquare: number,
  runtimes: ReadonlyMap<string, RuntimeCategory>,
): Array<{ category: RuntimeCategory; title: string }> {
  const rank = (category: RuntimeCategory) => RUNTIME_CATEGORIES.indexOf(category);
  if (perSquare === 1) {
    return pool.nodes
      .map((node) => ({ node, category: runtimes.get(node) ?? 'other' }))
      .sort((a, b) => rank(a.category) - rank(b.category) || a.node.localeCompare(b.node))
      .map(({ node, category }) => ({ category, title: `${node} (${RUNTIME_LABELS[category]})` }));
  }
  const squares: Array<{ category: RuntimeCategory; title: string }> = [];
  for (const category of RUNTIME_CATEGORIES) {
    const count = Math.ceil((pool.runtimes[category] ?? 0) / perSquare);
    for (let n = 0; n < count; n++)
      squares.push({ category, title: `${perSquare} ${RUNTIME_LABELS[category]} nodes` });
  }
  return squares;
}
