import type { NotifySettings } from '../config/notify-settings.ts';
import { describeError } from '../errors.ts';
import { diffReports, type PreviousRuns } from '../report/diff.ts';
import type { DiffDocument, Report } from '../report/model.ts';
import type { ReportStore } from '../store/report-store.ts';
import { loadRun } from '../store/run-history.ts';
import {
  DELIVERY_RECORD_KEY,
  type DeliveryRecord,
  readDeliveryRecord,
  recordDelivery,
  type Target,
  type TargetRecord,
  targetsOf,
  writeDeliveryRecord,
} from './delivery-record.ts';
import { targetLabel } from './notifier.ts';
import { type NotificationOutcome, type NotifyDeps, notifyRun } from './notify-run.ts';

export interface AnnounceRequest {
  store: ReportStore;
  report: Report;
  /** The run's stored diff.json: what changed since the run before. */
  diff: DiffDocument;
  /** The link to the stored report, and when it really stops working. */
  link?: { url: string; expiresAt?: string; until?: DiffDocument['reportUrlExpiry'] };
  settings: NotifySettings;
  deps?: NotifyDeps;
  now: Date;
}

/**
 * Tells each target what changed since the last run it heard about, and records what arrived.
 * Usually that is the run before, and the message is the stored diff. After a failed delivery it
 * is an earlier run: the message is the diff against that run, so a finding that appeared in
 * the run whose message failed is announced now instead of never. Never throws.
 */
export async function announceRun(request: AnnounceRequest): Promise<NotificationOutcome> {
  const targets = targetsOf(request.settings);
  if (targets.length === 0) return notifyRun(request.diff, request.settings, request.deps);
  const { record, problem } = await readDeliveryRecord(request.store);
  const runs = new Map<string, ReturnType<typeof loadRun>>();
  const loaded = (runId: string) => {
    let run = runs.get(runId);
    if (!run) {
      run = loadRun(request.store, runId);
      runs.set(runId, run);
    }
    return run;
  };
  const results = await Promise.all(
    targets.map(async (target) => {
      const heard = record.targets[target.id];
      if (heard?.announcedRunId === request.report.runId && heard.undelivered.length === 0) {
        // The same run published again (a retried fleet aggregate): its message arrived already.
        const outcome: NotificationOutcome = {
          sent: false,
          reason: `run ${request.report.runId} was announced already`,
          deliveries: [],
          ok: true,
        };
        return { target, outcome };
      }
      const diff = await diffFor(request, heard, problem, loaded);
      const outcome = await notifyRun(withLink(diff, request.link), target.settings, request.deps);
      return { target, outcome };
    }),
  );
  let next: DeliveryRecord = record;
  for (const { target, outcome } of results) {
    next = recordDelivery(next, target, {
      runId: request.report.runId,
      ...(request.diff.previousRunId !== undefined && { previousRunId: request.diff.previousRunId }),
      delivered: outcome.ok,
      at: request.now,
    });
  }
  const merged = mergeOutcomes(results.map((result) => result.outcome));
  const failed = results.filter((result) => !result.outcome.ok).map((result) => result.target);
  try {
    await writeDeliveryRecord(request.store, next);
    if (failed.length > 0)
      merged.followUp = `The next run will announce these changes to ${describeTargets(failed)}: it compares with the last run announced there (${DELIVERY_RECORD_KEY} in the store).`;
  } catch (error) {
    const why = `The record of deliveries (${DELIVERY_RECORD_KEY}) could not be written: ${describeError(error)}.`;
    merged.followUp =
      failed.length > 0
        ? `${why} The next run will not know this message failed, and will not announce these changes again.`
        : `${why} The next run compares with the run before it, as if everything so far had arrived.`;
    merged.ok = false;
  }
  return merged;
}

/** The diff a target needs: since the last run it heard about. */
async function diffFor(
  request: AnnounceRequest,
  heard: TargetRecord | undefined,
  problem: string | undefined,
  loaded: (runId: string) => Promise<{ previous?: PreviousRuns; notes: string[] }>,
): Promise<DiffDocument> {
  const unread = problem
    ? [
        `The record of earlier deliveries (${DELIVERY_RECORD_KEY}) was ignored: ${problem}. If an earlier message failed, its changes may be missing here.`,
      ]
    : [];
  // Behind also when no delivery failed: a run may have stopped between storing and notifying.
  if (!heard || heard.announcedRunId === request.diff.previousRunId) return withNotes(request.diff, unread);
  const missed = undeliveredText(heard);
  if (heard.announcedRunId === undefined) {
    return diffReports(request.report, {
      clusters: new Map(),
      notes: [`No message has reached this target yet (${missed}): this is the baseline summary.`, ...unread],
    });
  }
  const { previous, notes } = await loaded(heard.announcedRunId);
  if (!previous) {
    return withNotes(request.diff, [
      `Run ${heard.announcedRunId}, the last one announced here, cannot be read (${notes.join(' ')}), and ${missed}: this message only has the changes since the run before; see the reports of those runs.`,
      ...unread,
    ]);
  }
  return diffReports(request.report, {
    ...previous,
    notes: [
      `This message has every change since run ${heard.announcedRunId}, the last one announced here: ${missed}.`,
      ...unread,
    ],
  });
}

/** `the messages of runs A and B could not be delivered`, or why a target is behind without one. */
function undeliveredText(heard: TargetRecord): string {
  const runs = heard.undelivered;
  if (runs.length === 0) return 'a run after it stored its report but sent no message here';
  const earlier = heard.undeliveredBefore ? ` (and ${heard.undeliveredBefore} earlier)` : '';
  return runs.length === 1
    ? `the message of run ${runs[0]}${earlier} could not be delivered`
    : `the messages of runs ${runs.slice(0, -1).join(', ')} and ${runs.at(-1)}${earlier} could not be delivered`;
}

/** The stored diff.json carries no link (it would expire inside the evidence); the message does. */
function withLink(diff: DiffDocument, link: AnnounceRequest['link']): DiffDocument {
  if (link === undefined) return diff;
  return {
    ...diff,
    reportUrl: link.url,
    ...(link.expiresAt !== undefined && { reportUrlExpiresAt: link.expiresAt }),
    ...(link.until !== undefined && { reportUrlExpiry: link.until }),
  };
}

function withNotes(diff: DiffDocument, notes: readonly string[]): DiffDocument {
  return notes.length === 0 ? diff : { ...diff, notes: [...notes, ...diff.notes] };
}

/** One outcome for the run: every delivery, failed if any failed. */
function mergeOutcomes(outcomes: readonly NotificationOutcome[]): NotificationOutcome {
  const reasons = [...new Set(outcomes.map((outcome) => outcome.reason))];
  const merged: NotificationOutcome = {
    sent: outcomes.some((outcome) => outcome.sent),
    reason: reasons.join('; '),
    deliveries: outcomes.flatMap((outcome) => outcome.deliveries),
    ok: outcomes.every((outcome) => outcome.ok),
  };
  const failure = outcomes.find((outcome) => outcome.failure)?.failure;
  if (failure) merged.failure = failure;
  return merged;
}

function describeTargets(targets: readonly Target[]): string {
  return targets.map((target) => targetLabel(target.channel, target.target)).join(' and ');
}
