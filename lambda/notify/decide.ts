import type { NotifyWhen } from '../config/notify-settings.ts';
import type { ClusterDiff, DiffDocument } from '../report/model.ts';

export interface NotifyDecision {
  send: boolean;
  /** One line for the run summary: why a message goes out or not. */
  reason: string;
}

/** Did this cluster change in a way a reader should hear about? */
export function clusterChanged(cluster: ClusterDiff): boolean {
  return (
    cluster.new.length > 0 ||
    cluster.resolved.length > 0 ||
    cluster.severityChanged.length > 0 ||
    cluster.nodesLeftDocker.length > 0 ||
    cluster.poolsBecameReady.length > 0 ||
    // Includes a cluster that was not in the previous run (no previous status): it joined the fleet.
    cluster.previousStatus !== cluster.status
  );
}

/**
 * `changes` posts when the diff is not empty or a cluster's status changed, and always on the
 * first run (the baseline summary); `always` posts every run; `never` never does.
 */
export function decideNotification(diff: DiffDocument, when: NotifyWhen): NotifyDecision {
  if (when === 'never') return { send: false, reason: 'notifications are off (notify: never)' };
  if (diff.baseline) return { send: true, reason: 'first run: baseline summary' };
  const changed = diff.clusters.filter(clusterChanged);
  if (changed.length > 0) {
    const { summary } = diff;
    return {
      send: true,
      reason: `${summary.new} new, ${summary.resolved} resolved; ${changed.length} of ${diff.clusters.length} clusters changed`,
    };
  }
  if (when === 'always') return { send: true, reason: 'no changes (notify: always)' };
  return {
    send: false,
    reason: `no changes since ${diff.previousRunId ?? 'the previous run'} (notify: changes)`,
  };
}
