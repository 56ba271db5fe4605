import { createHash } from 'node:crypto';
import type { NotifySettings } from '../config/notify-settings.ts';
import { describeError } from '../errors.ts';
import { isRecord } from '../kube/objects.ts';
import { isRunId } from '../run-id.ts';
import { describeUrl } from '../secret.ts';
import type { ReportStore } from '../store/report-store.ts';
import type { NotifyChannel } from './notifier.ts';

/**
 * What each notification target has heard, kept in the store beside the runs but outside
 * `runs/`: a run is immutable evidence, and whether a chat message arrived is not part of it.
 * A run whose message failed is remembered here, so that the next run tells that target
 * everything since the last run it did hear about, not only what changed since the run before.
 */
export const DELIVERY_RECORD_KEY = 'notifications/state.json';
const KIND = 'dockershim-audit.notifications';
/** Runs remembered as undelivered per target; older ones are counted, not listed. */
const MAX_UNDELIVERED = 50;

export interface TargetRecord {
  channel: NotifyChannel;
  /** Safe to show: a webhook's scheme and host, or the SNS topic ARN. */
  target: string;
  /** The last run whose changes reached the target (or had nothing to announce). Absent: none yet. */
  announcedRunId?: string;
  /** Runs after it whose message to the target failed, oldest first. */
  undelivered: string[];
  /** How many more failed before those (the list keeps the latest MAX_UNDELIVERED). */
  undeliveredBefore?: number;
  updatedAt: string;
}

export interface DeliveryRecord {
  kind: typeof KIND;
  /** By target id: `webhook:<hash of format and URL>` (never the URL: it is a credential) or `email:<topic ARN>`. */
  targets: Record<string, TargetRecord>;
}

/** One place a run's message goes, with the settings that reach only it. */
export interface Target {
  id: string;
  channel: NotifyChannel;
  target: string;
  settings: NotifySettings;
}

export function targetsOf(settings: NotifySettings): Target[] {
  const { email, ...webhooksOnly } = settings;
  const targets: Target[] = settings.webhooks.map((webhook) => {
    const url = webhook.url.reveal();
    const hash = createHash('sha256').update(`${webhook.format} ${url}`).digest('hex').slice(0, 16);
    return {
      id: `webhook:${hash}`,
      channel: webhook.format,
      target: URL.canParse(url) ? describeUrl(new URL(url)) : 'an unparsable URL',
      settings: { ...webhooksOnly, webhooks: [webhook] },
    };
  });
  if (email) {
    targets.push({
      id: `email:${email.topicArn}`,
      channel: 'email',
      target: email.topicArn,
      settings: { ...settings, webhooks: [] },
    });
  }
  return targets;
}

export function emptyRecord(): DeliveryRecord {
  return { kind: KIND, targets: {} };
}

/**
 * Reads the record. None yet is an empty record; one that cannot be read or is not ours is an
 * empty record and a `problem`, which the message states: earlier failures may be missing from it.
 */
export async function readDeliveryRecord(
  store: ReportStore,
): Promise<{ record: DeliveryRecord; problem?: string }> {
  let bytes: Uint8Array | undefined;
  try {
    bytes = await store.get(DELIVERY_RECORD_KEY);
  } catch (error) {
    return { record: emptyRecord(), problem: `it could not be read (${describeError(error)})` };
  }
  if (bytes === undefined) return { record: emptyRecord() };
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    if (isDeliveryRecord(value)) return { record: value };
  } catch {
    // Reported below with the other unreadable cases.
  }
  return { record: emptyRecord(), problem: 'it is not a record this tool writes' };
}

export async function writeDeliveryRecord(store: ReportStore, record: DeliveryRecord): Promise<void> {
  await store.put(
    DELIVERY_RECORD_KEY,
    `${JSON.stringify(record, null, 2)}\n`,
    'application/json; charset=utf-8',
  );
}

/**
 * The record after a run: a target that got its message, or had nothing due, has heard
 * everything up to this run; one whose delivery failed keeps its last announced run and adds
 * this one to its undelivered runs. A target never seen before counts as having heard the
 * run before this one, as every run did before this record existed.
 */
export function recordDelivery(
  record: DeliveryRecord,
  target: Target,
  run: { runId: string; previousRunId?: string; delivered: boolean; at: Date },
): DeliveryRecord {
  const before = record.targets[target.id];
  const updated: TargetRecord = {
    channel: target.channel,
    target: target.target,
    undelivered: [],
    updatedAt: run.at.toISOString(),
  };
  if (run.delivered) {
    updated.announcedRunId = run.runId;
  } else {
    const announced = before ? before.announcedRunId : run.previousRunId;
    if (announced !== undefined) updated.announcedRunId = announced;
    const undelivered = [...(before?.undelivered ?? []).filter((id) => id !== run.runId), run.runId];
    const dropped = Math.max(0, undelivered.length - MAX_UNDELIVERED);
    updated.undelivered = undelivered.slice(dropped);
    const earlier = (before?.undeliveredBefore ?? 0) + dropped;
    if (earlier > 0) updated.undeliveredBefore = earlier;
  }
  return { ...record, targets: { ...record.targets, [target.id]: updated } };
}

function isDeliveryRecord(value: unknown): value is DeliveryRecord {
  return (
    isRecord(value) &&
    value.kind === KIND &&
    isRecord(value.targets) &&
    Object.values(value.targets).every(
      (target) =>
        isRecord(target) &&
        typeof target.target === 'string' &&
        (target.announcedRunId === undefined || isRunId(target.announcedRunId)) &&
        Array.isArray(target.undelivered) &&
        target.undelivered.every(isRunId),
    )
  );
}
