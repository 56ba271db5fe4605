import { printable } from '../text.ts';
import { migrationView } from './migration-view.ts';
import type { ClusterReport } from './model.ts';

/**
 * The migration plan as `dockershim-audit plan` prints it: per cluster the pools in order, each
 * with its status, blockers, drain risks and what comes first; the runbooks on request. The same
 * labels as the reports (migration-view.ts); every string from a cluster goes through printable.
 */
export function formatPlan(clusters: readonly ClusterReport[], options: { runbooks: boolean }): string {
  const view = migrationView(clusters);
  const lines: string[] = [];
  for (const cluster of clusters) {
    const plan = view.clusters.find((entry) => entry.cluster === cluster.name);
    lines.push(
      `Cluster ${printable(cluster.name)} (${cluster.status}): ${plan ? printable(plan.summary) : 'no plan.'}`,
    );
    if (!plan) {
      for (const note of cluster.migration?.notes ?? []) lines.push(`  ${printable(note)}`);
      continue;
    }
    for (const note of plan.notes) lines.push(`  Note: ${printable(note)}`);
    if (plan.fixSentence) {
      lines.push(`  ${printable(plan.fixSentence)}`);
      for (const name of plan.fixNames) lines.push(`    - ${printable(name)}`);
    }
    for (const pool of plan.pools) {
      lines.push('');
      const position = pool.pool.order === null ? '  -' : `${pool.orderLabel.padStart(2)}.`;
      lines.push(
        `  ${position} ${printable(pool.pool.name)}: ${pool.statusLabel.toUpperCase()} (${printable(pool.sourceLabel)}; nodes: ${printable(pool.nodesLabel)}; ${pool.runtimeLabel}; kubelet ${printable(pool.kubeletLabel)})`,
      );
      for (const step of pool.pool.prerequisites) lines.push(`      first: ${printable(step)}`);
      for (const blocker of pool.blockers)
        lines.push(
          `      blocker (${blocker.placement}): ${printable(blocker.label)}: ${printable(blocker.reason)}`,
        );
      for (const risk of pool.risks)
        lines.push(`      drain risk (${risk.kind}): ${printable(risk.label)}: ${printable(risk.reason)}`);
      if (pool.moreRisks > 0)
        lines.push(`      (${pool.moreRisks} more drain risks: --format json lists them all)`);
      for (const note of pool.pool.notes) lines.push(`      note: ${printable(note)}`);
      if (options.runbooks && pool.runbook.steps.length > 0) {
        lines.push(`      runbook, ${pool.runbook.route}:`);
        for (const note of pool.runbook.notes) lines.push(`      note: ${printable(note)}`);
        // Commands from the first column, as they are pasted: a here-document's end marker must start the line.
        for (const step of pool.runbook.steps) {
          lines.push(`# ${printable(step.title)}`);
          for (const line of step.code.text.split('\n')) lines.push(printable(line));
        }
      }
    }
    if (plan.pools.some((pool) => pool.runbook.steps.length > 0) && !options.runbooks)
      lines.push('', '  Add --runbooks for the commands of each pool.');
    lines.push('');
  }
  return lines.join('\n').trimEnd();
}
