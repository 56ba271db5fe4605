import { describeError } from '../errors.ts';
import { isRecord } from '../kube/objects.ts';
import type { PreviousCluster, PreviousReading, PreviousRuns } from '../report/diff.ts';
import {
  buildManifest,
  type ManifestLink,
  type RunManifest,
  type RunTimings,
  serialiseManifest,
  sha256Hex,
} from '../report/manifest.ts';
import type { ClusterReport, ClusterStatus, Report } from '../report/model.ts';
import type { Artifact } from '../report/render.ts';
import { isSeverity } from '../rules/severity.ts';
import type { ReportStore } from './report-store.ts';

/**
 * The layout of a store (README documents it):
 *
 *   runs/<runId>/report.json|report.html|report.md|diff.json   what the run wrote
 *   runs/<runId>/manifest.json                                  SHA-256 of each, link to the previous manifest
 *   clusters/<cluster>/latest.json                              the latest run that included the cluster
 *   latest.json                                                 the fleet's latest run (the head of the chain)
 *
 * Runs are never rewritten; only the pointers move, and only after every object of a run is stored.
 */
export const FLEET_POINTER_KEY = 'latest.json';
export const MANIFEST_NAME = 'manifest.json';
const JSON_TYPE = 'application/json; charset=utf-8';
const RUN_ID = /^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$/;

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

export function isRunId(value: unknown): value is string {
  return typeof value === 'string' && RUN_ID.test(value);
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

/** What the store knows before this run: the readings to compare with, and the head of the chain. */
export interface PreviousState extends PreviousRuns {
  /** The previous run's manifest, which this run's manifest links to. */
  manifest?: ManifestLink;
  clusterPointers: ReadonlyMap<string, ClusterPointer>;
}

/**
 * Reads what the diff compares with. Never throws: a missing, unreadable or malformed pointer or
 * report gives a comparison with nothing for what it concerns, and a note that says so.
 */
export async function loadPrevious(
  store: ReportStore,
  clusterNames: readonly string[],
): Promise<PreviousState> {
  const notes: string[] = [];
  const fleet = await readJson(store, FLEET_POINTER_KEY, isFleetPointer, notes);
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
    const pointer = await readJson(store, clusterPointerKey(name), isClusterPointer, notes);
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
  if (fleet) {
    state.runId = fleet.runId;
    state.fleetClusters = fleet.clusters;
    state.manifest = { runId: fleet.runId, manifestSha256: fleet.manifestSha256 };
  }
  return state;
}

export interface StoredRun {
  runId: string;
  /** Where the run's objects are: `s3://bucket/prefix/runs/<runId>/` or a folder. */
  location: string;
  keys: string[];
  manifest: RunManifest;
  manifestSha256: string;
}

/**
 * Stores a run: its artifacts, then its manifest, then the pointers. Any failure throws before
 * a pointer moves, so the next run still compares with, and links to, the last stored run.
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
    await store.put(key, artifact.body, artifact.contentType);
    keys.push(key);
  }
  const manifestKey = runKey(report.runId, MANIFEST_NAME);
  await store.put(manifestKey, manifestBody, JSON_TYPE);
  keys.push(manifestKey);

  for (const cluster of report.clusters) {
    const pointer = clusterPointer(report, cluster, previous.clusterPointers.get(cluster.name));
    await store.put(clusterPointerKey(cluster.name), pointerBody(pointer), JSON_TYPE);
  }
  const manifestSha256 = sha256Hex(manifestBody);
  const fleet: FleetPointer = {
    kind: 'dockershim-audit.latest',
    runId: report.runId,
    generatedAt: report.generatedAt,
    manifestSha256,
    clusters: report.clusters.map((cluster) => cluster.name),
  };
  await store.put(FLEET_POINTER_KEY, pointerBody(fleet), JSON_TYPE);
  return {
    runId: report.runId,
    location: `${store.location}/runs/${report.runId}/`,
    keys,
    manifest,
    manifestSha256,
  };
}

function clusterPointer(
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

function pointerBody(pointer: FleetPointer | ClusterPointer): string {
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
    typeof value.manifestSha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(value.manifestSha256) &&
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
