import { describeError } from '../errors.ts';
import { isRecord } from '../kube/objects.ts';
import type { DiffDocument, Report } from '../report/model.ts';
import { type Artifact, renderReport } from '../report/render.ts';
import { sha256Hex } from '../sha256.ts';
import { StoreError, WriteConflictError } from './errors.ts';
import { buildManifest, type RunManifest, type RunTimings, serialiseManifest } from './manifest.ts';
import type { ReportStore } from './report-store.ts';
import {
  type ChainHead,
  clusterPointer,
  clusterPointerKey,
  FLEET_POINTER_KEY,
  type FleetPointer,
  isArtifactName,
  JSON_TYPE,
  MANIFEST_NAME,
  type PreviousState,
  parseJsonBytes,
  parseManifest,
  pointerBody,
  readHead,
  runKey,
  type StoredRun,
} from './run-history.ts';

/**
 * Stores a run: its artifacts, then its manifest, each created only where nothing is yet (a run
 * is never rewritten); then moves the head with a compare-and-swap on the version read before
 * the run was built; then the cluster pointers. Call it holding the publishing lease
 * (publish-lock.ts). Any failure before the head moves throws, and the next run still chains
 * onto the last run that was stored completely.
 */
export async function saveRun(
  store: ReportStore,
  run: { report: Report; artifacts: readonly Artifact[]; timings: RunTimings; previous: PreviousState },
): Promise<StoredRun> {
  const { report, artifacts, previous } = run;
  const manifest = buildManifest(report, artifacts, {
    timings: run.timings,
    ...(previous.manifest && { previous: previous.manifest }),
  });
  const manifestBody = serialiseManifest(manifest);
  const keys: string[] = [];
  for (const artifact of artifacts) {
    const key = runKey(report.runId, artifact.name);
    await createOnce(store, key, artifact.body, artifact.contentType);
    keys.push(key);
  }
  const manifestKey = runKey(report.runId, MANIFEST_NAME);
  await createOnce(store, manifestKey, manifestBody, JSON_TYPE);
  keys.push(manifestKey);
  const stored: StoredRun = {
    runId: report.runId,
    location: `${store.location}/runs/${report.runId}/`,
    keys,
    manifest,
    manifestSha256: sha256Hex(manifestBody),
  };
  return commitRun(store, report, stored, previous);
}

/**
 * Moves the head from `previous.head` to the stored run, then the run's cluster pointers. The
 * head is the commit: a cluster pointer that fails afterwards is reported with the stored run.
 */
async function commitRun(
  store: ReportStore,
  report: Report,
  stored: StoredRun,
  previous: PreviousState,
): Promise<StoredRun> {
  const fleet: FleetPointer = {
    kind: 'dockershim-audit.latest',
    runId: report.runId,
    generatedAt: report.generatedAt,
    manifestSha256: stored.manifestSha256,
    clusters: report.clusters.map((cluster) => cluster.name),
  };
  const body = pointerBody(fleet);
  try {
    await store.put(
      FLEET_POINTER_KEY,
      body,
      JSON_TYPE,
      previous.head ? { ifMatch: previous.head.version } : { ifNoneMatch: '*' },
    );
  } catch (error) {
    if (!(error instanceof WriteConflictError)) throw error;
    // An SDK retry of a write that had succeeded finds its own pointer: that is success.
    if (new TextDecoder().decode((await store.get(FLEET_POINTER_KEY)) ?? new Uint8Array()) !== body)
      throw new StoreError(
        `${store.location}/${FLEET_POINTER_KEY}`,
        `moved while run ${report.runId} was being stored, so the run is stored but is not in the chain`,
        {
          code: 'CHAIN_CONFLICT',
          cause: error,
          hint: 'Another publisher took over after this one held the publishing lease longer than it lasts. Nothing was forked: "verify" names the run left outside the chain.',
        },
      );
  }
  for (const cluster of report.clusters) {
    const key = clusterPointerKey(cluster.name);
    const pointer = clusterPointer(report, cluster, previous.clusterPointers.get(cluster.name));
    try {
      await store.put(key, pointerBody(pointer), JSON_TYPE);
    } catch (error) {
      stored.pointerError = new StoreError(
        `${store.location}/${key}`,
        `run ${report.runId} is stored and is the latest run, but this pointer could not be written: ${describeError(error)}`,
        {
          code: 'POINTER_FAILED',
          cause: error,
          hint: `${error instanceof StoreError && error.hint ? `${error.hint} ` : ''}The next run reads cluster ${cluster.name} from latest.json instead.`,
        },
      );
    }
  }
  return stored;
}

/** Whether the run's manifest is stored; true when that cannot be told (the store is unreachable). */
export async function storedWhole(store: ReportStore, runId: string): Promise<boolean> {
  return store.get(runKey(runId, MANIFEST_NAME)).then(
    (bytes) => bytes !== undefined,
    () => true,
  );
}

/** Creates a run's object; finding the same bytes there (a retry of this run) is fine, other bytes never. */
async function createOnce(store: ReportStore, key: string, body: string, contentType: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await store.put(key, body, contentType, { ifNoneMatch: '*' });
      return;
    } catch (error) {
      if (!(error instanceof WriteConflictError)) throw error;
    }
    const existing = await store.get(key);
    if (existing === undefined) continue; // S3's 409: a concurrent write to the key did not last
    if (Buffer.from(existing).equals(Buffer.from(body, 'utf8'))) return;
    throw runExists(store, key.split('/')[1] ?? key, `${key} is already stored with other content`);
  }
  throw new StoreError(
    `${store.location}/${key}`,
    'could not be created: concurrent writes kept conflicting',
  );
}

function runExists(store: ReportStore, runId: string, detail: string): StoreError {
  return new StoreError(`${store.location}/runs/${runId}/`, `${detail}; a stored run is never rewritten`, {
    code: 'RUN_EXISTS',
    hint: 'The same run id was published before with different results. Publish the new results as a new run (in fleet mode, a new execution).',
  });
}

/** A run id that the store already holds: what it stored, and whether this call finished it. */
export interface EarlierRun {
  stored: StoredRun;
  /** The stored diff.json: what the run announced (or would have). */
  diff: DiffDocument;
  artifacts: Artifact[];
  /** True when the earlier attempt had stored the run but not moved the head, and this call did. */
  committedNow: boolean;
}

/**
 * Publishing a run id the store already holds (a retried or duplicated fleet aggregate) is a
 * no-op when the stored run has the same report.json, and an error when not. An earlier attempt
 * that stored the whole run but stopped before moving the head is finished here, if the head
 * still is the run it chained onto. Undefined when the run id has no manifest yet (objects an
 * earlier attempt left are then checked one by one by `saveRun`).
 */
export async function publishedBefore(
  store: ReportStore,
  report: Report,
  previous: PreviousState,
): Promise<EarlierRun | undefined> {
  const earlier = await storedRun(store, report.runId);
  if (earlier === undefined) return undefined;
  const [reportJson] = await renderReport(report, ['json']);
  const storedReport = earlier.stored.manifest.artifacts.find((artifact) => artifact.name === 'report.json');
  if (reportJson === undefined || storedReport?.sha256 !== sha256Hex(reportJson.body))
    throw runExists(
      store,
      report.runId,
      `run ${report.runId} is already stored with a different report.json`,
    );
  if (previous.head?.pointer.runId === report.runId) return earlier;
  const { manifest } = earlier.stored;
  if (
    manifest.previous?.runId === previous.head?.pointer.runId &&
    manifest.previous?.manifestSha256 === previous.head?.pointer.manifestSha256
  ) {
    earlier.stored = await commitRun(store, report, earlier.stored, previous);
    earlier.committedNow = true;
    return earlier;
  }
  // Runs published since: walk back from the head (a retry comes soon, so not far).
  if (await chainReaches(store, previous.head, report.runId)) return earlier;
  throw new StoreError(earlier.stored.location, `run ${report.runId} is stored, but outside the chain`, {
    code: 'RUN_OUTSIDE_CHAIN',
    hint: 'Another run became the latest after it was stored and before its pointer moved. "verify" lists it; it cannot be chained now without rewriting it.',
  });
}

/**
 * A run id that is already stored and in the chain, with its stored report: a fleet aggregate
 * retried after its staged results were removed answers from it. Undefined otherwise.
 */
export async function chainedRun(
  store: ReportStore,
  runId: string,
): Promise<(EarlierRun & { report: Report }) | undefined> {
  const earlier = await storedRun(store, runId);
  if (earlier === undefined) return undefined;
  if (!(await chainReaches(store, await readHead(store, { publishing: runId }), runId))) return undefined;
  const report = parseText(earlier.artifacts.find((artifact) => artifact.name === 'report.json')?.body);
  if (!isRecord(report) || report.runId !== runId)
    throw new StoreError(earlier.stored.location, 'its report.json cannot be read', {
      hint: 'Run "verify" on the store.',
    });
  return { ...earlier, report: report as unknown as Report };
}

function parseText(text: string | undefined): unknown {
  return text === undefined ? undefined : parseJsonBytes(Buffer.from(text, 'utf8'));
}

/** What the store holds under a run id that has a manifest. */
async function storedRun(store: ReportStore, runId: string): Promise<EarlierRun | undefined> {
  const manifestKey = runKey(runId, MANIFEST_NAME);
  const bytes = await store.get(manifestKey);
  if (bytes === undefined) return undefined;
  const manifest = parseManifest(bytes);
  if (manifest?.runId !== runId) throw runExists(store, runId, `${manifestKey} cannot be read`);
  const artifacts = await storedArtifacts(store, manifest);
  const diff = parseText(artifacts.find((artifact) => artifact.name === 'diff.json')?.body);
  if (!isRecord(diff))
    throw new StoreError(`${store.location}/runs/${runId}/`, 'is stored, but its diff.json cannot be read', {
      hint: 'Run "verify" on the store.',
    });
  const earlier: EarlierRun = {
    stored: {
      runId,
      location: `${store.location}/runs/${runId}/`,
      keys: [...artifacts.map((artifact) => runKey(runId, artifact.name)), manifestKey],
      manifest,
      manifestSha256: sha256Hex(bytes),
    },
    diff: diff as unknown as DiffDocument,
    artifacts,
    committedNow: false,
  };
  return earlier;
}

async function storedArtifacts(store: ReportStore, manifest: RunManifest): Promise<Artifact[]> {
  const artifacts: Artifact[] = [];
  for (const entry of manifest.artifacts) {
    if (!isArtifactName(entry?.name)) continue;
    const body = await store.get(runKey(manifest.runId, entry.name));
    if (body !== undefined)
      artifacts.push({
        name: entry.name,
        contentType: entry.contentType,
        body: Buffer.from(body).toString('utf8'),
      });
  }
  return artifacts;
}

/** Whether the chain from `head` back to its first run passes through `runId`. */
async function chainReaches(
  store: ReportStore,
  head: ChainHead | undefined,
  runId: string,
): Promise<boolean> {
  const seen = new Set<string>();
  let manifest: RunManifest | undefined = head?.manifest;
  while (manifest !== undefined && !seen.has(manifest.runId)) {
    if (manifest.runId === runId) return true;
    seen.add(manifest.runId);
    const previous = manifest.previous?.runId;
    const bytes = previous === undefined ? undefined : await store.get(runKey(previous, MANIFEST_NAME));
    manifest = bytes === undefined ? undefined : parseManifest(bytes);
  }
  return false;
}
