import { describeError } from '../errors.ts';
import { isRecord } from '../kube/objects.ts';
import type { PreviousCluster, PreviousReading, PreviousRuns } from '../report/diff.ts';
import type { ClusterReport, ClusterStatus, Report } from '../report/model.ts';
import type { Artifact } from '../report/render.ts';
import { isSeverity } from '../rules/severity.ts';
import { isRunId } from '../run-id.ts';
import { sha256Hex } from '../sha256.ts';
import { BrokenHeadError, type StoreError } from './errors.ts';
import { MANIFEST_KIND, type ManifestLink, type RunManifest } from './manifest.ts';
import type { ReportStore } from './report-store.ts';

/**
 * The layout of a store (docs/reports-and-evidence.md documents it):
 *
 *   runs/<runId>/report.json|report.html|report.md|diff.json   what the run wrote
 *   runs/<runId>/manifest.json                                  SHA-256 of each, link to the previous manifest
 *   clusters/<cluster>/latest.json                              the latest run that included the cluster
 *   latest.json                                                 the fleet's latest run (the head of the chain)
 *   publish-lock.json                                           who is publishing now (publish-lock.ts)
 *
 * Runs are never rewritten; only the pointers move, and only after every object of a run is
 * stored (publish-run.ts).
 */
export const FLEET_POINTER_KEY = 'latest.json';
export const MANIFEST_NAME = 'manifest.json';
export const JSON_TYPE = 'application/json; charset=utf-8';

export interface FleetPointer {
  kind: 'dockershim-audit.latest';
  runId: string;
  generatedAt: string;
  /** SHA-256 of the run's manifest.json: the head of the hash chain. */
  manifestSha256: string;
  clusters: string[];
}

export interface ClusterPointer {
  kind: 'dockershim-audit.cluster-latest';
  cluster: string;
  runId: string;
  generatedAt: string;
  status: ClusterStatus;
  /** The latest run that read the cluster completely: this run when it did. */
  lastCompleteRunId?: string;
}

export function runKey(runId: string, name: string): string {
  if (!isRunId(runId)) throw new Error(`not a run id: ${runId}`);
  return `runs/${runId}/${name}`;
}

/** Cluster names become one key segment: anything but letters, digits, `.`, `_` and `-` is percent-encoded. */
export function clusterSegment(name: string): string {
  const encoded = [...new TextEncoder().encode(name)]
    .map((byte) => {
      const character = String.fromCharCode(byte);
      return /^[A-Za-z0-9._-]$/.test(character)
        ? character
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
  return encoded === '.' || encoded === '..' ? encoded.replace(/\./g, '%2E') : encoded;
}

export function clusterPointerKey(name: string): string {
  return `clusters/${clusterSegment(name)}/latest.json`;
}

/** latest.json as read, checked against the run it names: what a new run chains onto. */
export interface ChainHead {
  pointer: FleetPointer;
  /** The pointer object's version: moving the head replaces exactly this version. */
  version: string;
  manifest: RunManifest;
}

/**
 * Reads the head of the chain and checks it against the stored runs. Undefined for a store
 * that has no complete run yet. Throws `BrokenHeadError` for a pointer that cannot be trusted:
 * unreadable; naming a run whose manifest is missing or differs; missing while the store holds
 * complete runs; or behind the run `interrupted` names when that run is complete and chains
 * onto it (its publish stopped before moving latest.json: the publishing lease says so). A run
 * is never chained onto such a head: that would start a second chain or fork this one.
 *
 * `publishing` is the run being published now: an earlier attempt of it that stopped before
 * moving the head is finished by the publish, not a broken head.
 */
export async function readHead(store: ReportStore, options: HeadCheck = {}): Promise<ChainHead | undefined> {
  const object = await store.getVersioned(FLEET_POINTER_KEY);
  const broken = (message: string) => new BrokenHeadError(store.location, FLEET_POINTER_KEY, message);
  if (object === undefined) {
    const complete = [...(await runFolders(store))]
      .filter(([runId, names]) => names.includes(MANIFEST_NAME) && runId !== options.publishing)
      .map(([runId]) => runId);
    if (complete.length > 0)
      throw broken(
        `is missing, but the store holds ${complete.length} complete ${complete.length === 1 ? 'run' : 'runs'} (the newest: ${complete.at(-1)})`,
      );
    return undefined;
  }
  const pointer = parseJsonBytes(object.body);
  if (!isFleetPointer(pointer)) throw broken('cannot be read: it is not a pointer this tool writes');
  const manifestKey = runKey(pointer.runId, MANIFEST_NAME);
  const bytes = await store.get(manifestKey);
  if (bytes === undefined) throw broken(`names run ${pointer.runId}, but ${manifestKey} is missing`);
  if (sha256Hex(bytes) !== pointer.manifestSha256)
    throw broken(`names run ${pointer.runId}, but the SHA-256 of ${manifestKey} is not the one it records`);
  const manifest = parseManifest(bytes);
  if (manifest?.runId !== pointer.runId)
    throw broken(`names run ${pointer.runId}, whose manifest cannot be read`);
  const { interrupted } = options;
  if (isRunId(interrupted) && interrupted !== options.publishing && interrupted !== pointer.runId) {
    const later = await store.get(runKey(interrupted, MANIFEST_NAME));
    if (later !== undefined && parseManifest(later)?.previous?.runId === pointer.runId)
      throw broken(
        `names run ${pointer.runId}, but run ${interrupted} is complete and chains onto it: its publish stopped before moving latest.json`,
      );
  }
  return { pointer, version: object.version, manifest };
}

export interface HeadCheck {
  /** The run being published now. */
  publishing?: string;
  /** A run whose publish may have stopped before moving the head (from the publishing lease). */
  interrupted?: string;
}

/** `runs/<id>/<name>` keys grouped by run id, oldest run first; anything else under runs/ is ignored. */
export async function runFolders(store: ReportStore): Promise<Map<string, string[]>> {
  const runs = new Map<string, string[]>();
  for (const key of await store.list('runs/')) {
    const [, runId, name, ...rest] = key.split('/');
    if (runId === undefined || name === undefined || rest.length > 0 || !isRunId(runId)) continue;
    runs.set(runId, [...(runs.get(runId) ?? []), name]);
  }
  return new Map([...runs].sort(([a], [b]) => a.localeCompare(b)));
}

/** A manifest's shape: enough to follow the chain. verify checks each artifact entry on its own. */
export function parseManifest(bytes: Uint8Array): RunManifest | undefined {
  const value = parseJsonBytes(bytes);
  if (!isRecord(value)) return undefined;
  const manifest = value as Partial<RunManifest>;
  const previous = manifest.previous as Partial<ManifestLink> | undefined;
  return manifest.kind === MANIFEST_KIND &&
    isRunId(manifest.runId) &&
    Array.isArray(manifest.artifacts) &&
    (previous === undefined ||
      (isRecord(previous) && isRunId(previous.runId) && isSha256(previous.manifestSha256)))
    ? (manifest as RunManifest)
    : undefined;
}

/** A file name a run may hold: one key segment, never `.` or `..`. */
export function isArtifactName(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9._-]{1,200}$/.test(value) && !/^\.+$/.test(value);
}

export function isSha256(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

/** JSON from stored bytes; undefined when they are not UTF-8 JSON. */
export function parseJsonBytes(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
}

/** What the store knows before this run: the readings to compare with, and the head of the chain. */
export interface PreviousState extends PreviousRuns {
  /** The previous run's manifest, which this run's manifest links to. */
  manifest?: ManifestLink;
  /** The head this run chains onto; absent for the first run of a store. */
  head?: ChainHead;
  clusterPointers: ReadonlyMap<string, ClusterPointer>;
}

/**
 * Reads what the diff compares with. The head must be sound (`readHead` throws otherwise): this
 * run chains onto it. A missing, unreadable or malformed cluster pointer or report only limits
 * the comparison for what it concerns, with a note that says so.
 */
export async function loadPrevious(
  store: ReportStore,
  clusterNames: readonly string[],
  check: HeadCheck = {},
): Promise<PreviousState> {
  const notes: string[] = [];
  const head = await readHead(store, check);
  const fleet = head?.pointer;
  const reports = new Map<string, Promise<Report | undefined>>();
  const reportOf = (runId: string) => {
    let report = reports.get(runId);
    if (!report) {
      report = readJson(store, runKey(runId, 'report.json'), isStoredReport, notes);
      reports.set(runId, report);
    }
    return report;
  };
  const readingOf = async (runId: string, name: string): Promise<PreviousReading | undefined> => {
    const cluster = (await reportOf(runId))?.clusters.find((entry) => entry.name === name);
    return cluster ? { runId, cluster } : undefined;
  };

  const clusters = new Map<string, PreviousCluster>();
  const clusterPointers = new Map<string, ClusterPointer>();
  for (const name of clusterNames) {
    let pointer = await readJson(store, clusterPointerKey(name), isClusterPointer, notes);
    // The head is written before the cluster pointers: one that lags behind it (its write
    // failed) is read from the head's run instead.
    if (fleet?.clusters.includes(name) && pointer?.runId !== fleet.runId) {
      const inHead = await readingOf(fleet.runId, name);
      if (inHead) {
        notes.push(
          `${clusterPointerKey(name)} does not name the latest run ${fleet.runId}, which read cluster ${name}: it is compared with that run.`,
        );
        pointer = {
          kind: 'dockershim-audit.cluster-latest',
          cluster: name,
          runId: fleet.runId,
          generatedAt: fleet.generatedAt,
          status: inHead.cluster.status,
          ...(inHead.cluster.status === 'complete'
            ? { lastCompleteRunId: fleet.runId }
            : pointer?.lastCompleteRunId !== undefined && { lastCompleteRunId: pointer.lastCompleteRunId }),
        };
      }
    }
    if (!pointer) continue;
    clusterPointers.set(name, pointer);
    const latest = await readingOf(pointer.runId, name);
    if (!latest) {
      notes.push(
        `Cluster ${name}: its previous run ${pointer.runId} has no readable report for it, so it is compared with nothing and every finding counts as new.`,
      );
      continue;
    }
    const entry: PreviousCluster = { latest };
    const completeRun = pointer.lastCompleteRunId;
    if (completeRun !== undefined && completeRun !== pointer.runId) {
      const lastComplete = await readingOf(completeRun, name);
      if (lastComplete) entry.lastComplete = lastComplete;
    }
    clusters.set(name, entry);
  }

  if (!fleet && clusters.size === 0 && notes.length === 0)
    notes.push(
      `No earlier run in ${store.location}: this run is the baseline, and every finding counts as new.`,
    );
  const state: PreviousState = { clusters, clusterPointers, notes };
  if (head && fleet) {
    state.head = head;
    state.runId = fleet.runId;
    state.fleetClusters = fleet.clusters;
    state.manifest = { runId: fleet.runId, manifestSha256: fleet.manifestSha256 };
  }
  return state;
}

/**
 * One stored run as something to compare with: each of its clusters as that run read it.
 * Undefined when its report cannot be read; `notes` says why.
 */
export async function loadRun(
  store: ReportStore,
  runId: string,
): Promise<{ previous?: PreviousRuns; notes: string[] }> {
  const notes: string[] = [];
  const report = isRunId(runId)
    ? await readJson(store, runKey(runId, 'report.json'), isStoredReport, notes)
    : undefined;
  if (!report) return { notes: notes.length > 0 ? notes : [`run ${runId} is not in ${store.location}`] };
  const clusters = new Map<string, PreviousCluster>(
    report.clusters.map((cluster) => [cluster.name, { latest: { runId, cluster } }]),
  );
  return {
    previous: { runId, clusters, fleetClusters: report.clusters.map((cluster) => cluster.name), notes: [] },
    notes,
  };
}

export interface StoredRun {
  runId: string;
  /** Where the run's objects are: `s3://bucket/prefix/runs/<runId>/` or a folder. */
  location: string;
  keys: string[];
  manifest: RunManifest;
  manifestSha256: string;
  /**
   * The run is stored and is the head of the chain, but a cluster's pointer could not be
   * written; the next run reads that cluster from the head instead.
   */
  pointerError?: StoreError;
}

export function clusterPointer(
  report: Report,
  cluster: ClusterReport,
  before: ClusterPointer | undefined,
): ClusterPointer {
  const pointer: ClusterPointer = {
    kind: 'dockershim-audit.cluster-latest',
    cluster: cluster.name,
    runId: report.runId,
    generatedAt: report.generatedAt,
    status: cluster.status,
  };
  const lastComplete = cluster.status === 'complete' ? report.runId : before?.lastCompleteRunId;
  if (lastComplete !== undefined) pointer.lastCompleteRunId = lastComplete;
  return pointer;
}

export function pointerBody(pointer: FleetPointer | ClusterPointer): string {
  return `${JSON.stringify(pointer, null, 2)}\n`;
}

/** The artifact a person should open: the HTML report when the run has one. */
export function reportKeyOf(runId: string, artifacts: readonly Pick<Artifact, 'name'>[]): string | undefined {
  const names = artifacts.map((artifact) => artifact.name);
  const name = ['report.html', 'report.md', 'report.json'].find((candidate) => names.includes(candidate));
  return name === undefined ? undefined : runKey(runId, name);
}

/** Reads and checks a JSON object; anything but "there is none" leaves a note. */
async function readJson<T>(
  store: ReportStore,
  key: string,
  guard: (value: unknown) => value is T,
  notes: string[],
): Promise<T | undefined> {
  let bytes: Uint8Array | undefined;
  try {
    bytes = await store.get(key);
  } catch (error) {
    notes.push(`${key} could not be read (${describeError(error)}); it is ignored.`);
    return undefined;
  }
  if (bytes === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    if (guard(value)) return value;
    notes.push(`${key} in ${store.location} is not what this tool writes; it is ignored.`);
  } catch {
    notes.push(`${key} in ${store.location} is not valid JSON; it is ignored.`);
  }
  return undefined;
}

const isStatus = (value: unknown): value is ClusterStatus =>
  value === 'complete' || value === 'partial' || value === 'failed';

export function isFleetPointer(value: unknown): value is FleetPointer {
  return (
    isRecord(value) &&
    value.kind === 'dockershim-audit.latest' &&
    isRunId(value.runId) &&
    isSha256(value.manifestSha256) &&
    Array.isArray(value.clusters) &&
    value.clusters.every((name) => typeof name === 'string')
  );
}

export function isClusterPointer(value: unknown): value is ClusterPointer {
  return (
    isRecord(value) &&
    value.kind === 'dockershim-audit.cluster-latest' &&
    isRunId(value.runId) &&
    isStatus(value.status) &&
    (value.lastCompleteRunId === undefined || isRunId(value.lastCompleteRunId))
  );
}

/** Enough of report.json for a diff: clusters with a status, nodes and findings that have ids. */
function isStoredReport(value: unknown): value is Report {
  return (
    isRecord(value) &&
    Array.isArray(value.clusters) &&
    value.clusters.every(
      (cluster) =>
        isRecord(cluster) &&
        typeof cluster.name === 'string' &&
        isStatus(cluster.status) &&
        Array.isArray(cluster.nodes) &&
        Array.isArray(cluster.findings) &&
        cluster.findings.every(
          (finding) =>
            isRecord(finding) &&
            typeof finding.id === 'string' &&
            isSeverity(finding.severity) &&
            isRecord(finding.resource),
        ),
    )
  );
}
