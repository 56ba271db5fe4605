import type { AuditPolicy } from './audit/policy.ts';
import { isExpired } from './audit/policy.ts';
import { auditFleet } from './audit/run-fleet.ts';
import type { ClusterSource } from './collect/cluster-source.ts';
import type { NotifySettings } from './config/notify-settings.ts';
import type { ReportFormat } from './defaults.ts';
import { AuditError, describeError } from './errors.ts';
import { announceRun } from './notify/announce.ts';
import type { NotificationOutcome, NotifyDeps } from './notify/notify-run.ts';
import { Redactor } from './redact.ts';
import { assembleReport } from './report/assemble.ts';
import { diffReports } from './report/diff.ts';
import type { ClusterReport, DiffDocument, Report } from './report/model.ts';
import { type Artifact, renderReport } from './report/render.ts';
import { newRunId } from './run-id.ts';
import { BrokenHeadError, StoreError } from './store/errors.ts';
import { timingsOf } from './store/manifest.ts';
import { loadProgress } from './store/progress-history.ts';
import { currentPublishLock, withPublishLock } from './store/publish-lock.ts';
import { type EarlierRun, publishedBefore, saveRun, storedWhole } from './store/publish-run.ts';
import type { ReportLink, ReportStore } from './store/report-store.ts';
import {
  loadPrevious,
  type PreviousState,
  readHead,
  reportKeyOf,
  type StoredRun,
} from './store/run-history.ts';
import { writeArtifacts } from './store/write-artifacts.ts';
import { RULES_VERSION, TOOL_VERSION } from './version.ts';

/**
 * The one pipeline both entries run: collect and detect per cluster, assemble the report,
 * compare it with the previous run, render it, write it, store it, tell people what changed.
 * Entries only turn their input (flags, an event) into a request.
 */
export interface ScanRequest extends PublishOptions {
  sources: readonly ClusterSource[];
  concurrency?: number;
  /** The run's deadline: clusters not read by then are `failed` ("deadline") and the run goes on to store. */
  signal?: AbortSignal;
  onProgress?: (cluster: string, message: string) => void;
}

/** Everything after the clusters are read: how to report, keep and announce the run. */
export interface PublishOptions {
  policy: AuditPolicy;
  /** A run id chosen by the caller (fleet mode plans it); new otherwise. */
  runId?: string;
  formats: readonly ReportFormat[];
  /** Folder for the rendered report; nothing is written without one. */
  outDir?: string;
  /** Where runs are kept and the previous run is read from. Without one the diff is a baseline. */
  store?: ReportStore;
  /** How long the link to the stored report stays valid (S3 presigned URLs), in seconds. */
  linkExpiresInSeconds?: number;
  /** Who hears about changes (webhooks, e-mail); sent only once the run is stored. */
  notify?: NotifySettings;
  notifyDeps?: NotifyDeps;
  identity?: string;
  now?: () => Date;
  /** How long to wait for another run that is publishing to the same store. @default PUBLISH_LOCK_WAIT_MS */
  lockWaitMs?: number;
  /**
   * The run's secrets, for the entry to redact its own output with too; sources and notifiers
   * add the credentials they load. A new one when not given.
   */
  secrets?: Redactor;
}

export interface ScanResult {
  report: Report;
  /** What changed since the previous run; exactly the stored diff.json. */
  diff: DiffDocument;
  artifacts: Artifact[];
  /** Paths written under outDir. */
  written: string[];
  /** The stored run, when the store took it. */
  stored?: StoredRun;
  /** Why the run could not be stored; the pointers did not move. The report in outDir is still there. */
  storeError?: AuditError;
  /** The stored report people open (HTML, else Markdown, else JSON), as a key in the store. */
  reportKey?: string;
  /** A link to that report (presigned for S3, a path for a folder): for notifications. */
  reportLink?: string;
  /** How long the link works, when it expires (S3): the earlier of linkExpiry and the signing credentials' expiry. */
  reportLinkExpiry?: { expiresAt: string; until: NonNullable<ReportLink['until']> };
  /** What the notification stage did; absent when the run was not stored (nothing is announced then). */
  notification?: NotificationOutcome;
  /**
   * The store already held this run id with the same report (a retried fleet aggregate): nothing
   * was written or announced again, and `diff` and `artifacts` are the stored ones.
   */
  alreadyStored?: true;
}

export async function runScan(request: ScanRequest): Promise<ScanResult> {
  const now = request.now ?? (() => new Date());
  const startedAt = now();
  if (request.store) await refuseBrokenHead(request.store);
  const secrets = request.secrets ?? new Redactor();
  const clusters = await auditFleet(request.sources, request.policy, {
    ...(request.concurrency !== undefined && { concurrency: request.concurrency }),
    ...(request.signal && { signal: request.signal }),
    ...(request.onProgress && { onProgress: request.onProgress }),
    secrets,
  });
  return publishRun(clusters, { startedAt, auditedAt: now() }, { ...request, secrets });
}

/**
 * A broken head stops the run before it spends minutes reading clusters; a store that cannot be
 * reached now is reported when the run is published. Read without the publishing lease, a head
 * can look broken only because another publisher is between storing the store's first run and
 * writing latest.json: while a lease is held, or once the head reads sound again, the run goes
 * on, and the check is made again, for good, under the lease (loadPrevious).
 */
async function refuseBrokenHead(store: ReportStore): Promise<void> {
  const broken = async (): Promise<BrokenHeadError | undefined> =>
    readHead(store).then(
      () => undefined,
      (error: unknown) => (error instanceof BrokenHeadError ? error : undefined),
    );
  if ((await broken()) === undefined) return;
  if ((await currentPublishLock(store).catch(() => undefined)) !== undefined) return;
  const still = await broken();
  if (still) throw still;
}

/**
 * Assembles the report of clusters already read, compares it with the previous run, renders,
 * writes, stores and announces it. Fleet mode calls it once the per-cluster audits are in.
 */
export async function publishRun(
  clusters: ClusterReport[],
  times: { startedAt: Date; auditedAt: Date },
  request: PublishOptions,
): Promise<ScanResult> {
  const { startedAt } = times;
  const secrets = request.secrets ?? new Redactor();
  const report = assembleReport(clusters, {
    runId: request.runId ?? newRunId(startedAt),
    generatedAt: startedAt,
    toolVersion: TOOL_VERSION,
    rulesVersion: RULES_VERSION,
    ...(request.identity !== undefined && { identity: request.identity }),
    warnings: policyWarnings(request.policy),
  });
  const { store } = request;
  if (!store) return renderAndWrite(report, request, unstored('No report store: nothing to compare with.'));
  // One publisher at a time: the previous run is read, and the new one chained onto it, while
  // no other run can move the head in between.
  const result = await withPublishLock(
    store,
    report.runId,
    async (lease) => {
      const read = await loadPrevious(
        store,
        report.clusters.map((cluster) => cluster.name),
        { publishing: report.runId, ...(lease.interrupted && { interrupted: lease.interrupted }) },
      );
      // Its notes may quote an S3 error, and they go into diff.json and the reports.
      const previous = { ...read, notes: secrets.redactDeep(read.notes) };
      lease.settled();
      const earlier = await publishedBefore(store, report, previous);
      if (earlier) return republished(report, earlier);
      const scan = await renderAndWrite(report, request, previous, store);
      try {
        scan.stored = await saveRun(store, {
          report,
          artifacts: scan.artifacts,
          previous,
          timings: timingsOf(startedAt, times.auditedAt, (request.now ?? (() => new Date()))()),
        });
        if (scan.stored.pointerError) scan.storeError = scan.stored.pointerError;
      } catch (error) {
        scan.storeError =
          error instanceof AuditError
            ? error
            : new StoreError(store.location, describeError(error), { cause: error });
        // A run stored whole but not chained: the next publisher must not chain past it.
        if (await storedWhole(store, report.runId)) lease.interrupt(report.runId);
      }
      return scan;
    },
    request.lockWaitMs === undefined ? {} : { waitMs: request.lockWaitMs },
  ).catch(async (error: unknown) => {
    // The store could not be read or locked (unreachable, a broken head, another publisher):
    // nothing is stored, and the report written locally says it was compared with nothing.
    if (!(error instanceof StoreError)) throw error;
    const scan = await renderAndWrite(
      report,
      request,
      unstored(
        `${store.location} could not be read, so this run is compared with nothing and was not stored.`,
      ),
    );
    scan.storeError = error;
    return scan;
  });
  // A run published before by this run id was announced then (or is announced by the next run).
  if (!result.stored || result.alreadyStored) return result;
  const { diff, artifacts } = result;
  const key = reportKeyOf(report.runId, artifacts);
  if (key !== undefined) {
    result.reportKey = key;
    // A link that cannot be made (no credentials to sign with) costs the link, not the run.
    const link = await store
      .link(
        key,
        request.linkExpiresInSeconds === undefined ? {} : { expiresInSeconds: request.linkExpiresInSeconds },
      )
      .catch(() => undefined);
    if (link) {
      result.reportLink = link.url;
      if (link.expiresAt)
        result.reportLinkExpiry = {
          expiresAt: link.expiresAt.toISOString(),
          until: link.until ?? 'requested',
        };
    }
  }
  if (request.notify) {
    result.notification = await announceRun({
      store,
      report,
      diff,
      ...(result.reportLink !== undefined && {
        link: { url: result.reportLink, ...result.reportLinkExpiry },
      }),
      settings: request.notify,
      deps: { ...request.notifyDeps, secrets },
      now: (request.now ?? (() => new Date()))(),
    });
  }
  return result;
}

/**
 * Compares with the previous run, renders, and writes the report into outDir when there is one.
 * With the store, the progress chart reads the last runs' reports from it.
 */
async function renderAndWrite(
  report: Report,
  request: PublishOptions,
  previous: PreviousState,
  store?: ReportStore,
): Promise<ScanResult> {
  const diff = diffReports(report, previous);
  const progress = store ? await loadProgress(store, report) : undefined;
  const artifacts = await renderReport(report, request.formats, {
    diff,
    ...(previous.manifest && { previousManifest: previous.manifest }),
    ...(progress && { progress }),
  });
  const written = request.outDir === undefined ? [] : await writeArtifacts(request.outDir, artifacts);
  return { report, diff, artifacts, written };
}

function unstored(note: string): PreviousState {
  return { clusters: new Map(), clusterPointers: new Map(), notes: [note] };
}

/** The result of publishing a run id the store already held with the same report. */
function republished(report: Report, earlier: EarlierRun): ScanResult {
  const result: ScanResult = {
    report,
    diff: earlier.diff,
    artifacts: earlier.artifacts,
    written: [],
    stored: earlier.stored,
  };
  // Finishing an attempt that stopped before the head moved is that attempt's first announcement.
  if (!earlier.committedNow) result.alreadyStored = true;
  if (earlier.stored.pointerError) result.storeError = earlier.stored.pointerError;
  return result;
}

function policyWarnings(policy: AuditPolicy): string[] {
  return policy.exemptions
    .filter((exemption) => isExpired(exemption, policy.now))
    .map(
      (exemption) =>
        `An exemption (${[exemption.rule, exemption.resource, exemption.cluster, exemption.findingId].filter(Boolean).join(' ')}) expired on ${exemption.expires}; its findings count again.`,
    );
}
