import { MANIFEST_KIND, type RunManifest, sha256Hex } from '../report/manifest.ts';
import type { ReportStore } from './report-store.ts';
import {
  FLEET_POINTER_KEY,
  isClusterPointer,
  isFleetPointer,
  isRunId,
  MANIFEST_NAME,
  runKey,
} from './run-history.ts';

export const ProblemKind = {
  changed: 'changed',
  removed: 'removed',
  added: 'added',
  unreadable: 'unreadable',
} as const;
export type ProblemKind = (typeof ProblemKind)[keyof typeof ProblemKind];

export interface VerifyProblem {
  kind: ProblemKind;
  /** The object concerned, relative to the store. */
  key: string;
  detail: string;
}

export interface VerifiedRun {
  runId: string;
  generatedAt?: string;
  artifacts: number;
  intact: boolean;
}

export interface VerifyResult {
  location: string;
  /** The chain from the newest run back to the first. */
  runs: VerifiedRun[];
  problems: VerifyProblem[];
  /** Run folders the chain does not reach: an upload that failed before the pointer moved, or a cut chain. */
  unchained: string[];
}

interface ChainLink {
  runId: string;
  sha256: string;
  /** Who recorded the hash: latest.json or the next run's manifest. */
  from: string;
}

/**
 * Walks the hash chain from latest.json back to the first run and checks every artifact
 * against its manifest and every manifest against the hash its successor recorded. Reads only.
 */
export async function verifyStore(store: ReportStore): Promise<VerifyResult> {
  const result: VerifyResult = { location: store.location, runs: [], problems: [], unchained: [] };
  const problem = (kind: ProblemKind, key: string, detail: string) =>
    result.problems.push({ kind, key, detail });
  const runFolders = groupByRun(await store.list('runs/'));

  let next: ChainLink | undefined;
  const pointerBytes = await store.get(FLEET_POINTER_KEY);
  if (pointerBytes === undefined) {
    if (runFolders.size > 0)
      problem(
        'removed',
        FLEET_POINTER_KEY,
        'the pointer to the latest run is missing, but the store holds runs',
      );
  } else {
    const pointer = parseJson(pointerBytes);
    if (isFleetPointer(pointer))
      next = { runId: pointer.runId, sha256: pointer.manifestSha256, from: FLEET_POINTER_KEY };
    else problem('unreadable', FLEET_POINTER_KEY, 'not a pointer this tool writes');
  }

  const visited = new Set<string>();
  while (next) {
    const link: ChainLink = next;
    next = undefined;
    if (visited.has(link.runId)) {
      problem('changed', link.from, `the chain loops back to run ${link.runId}`);
      break;
    }
    visited.add(link.runId);
    const manifestKey = runKey(link.runId, MANIFEST_NAME);
    const bytes = await store.get(manifestKey);
    if (bytes === undefined) {
      problem('removed', manifestKey, `${link.from} names this run, but its manifest is gone`);
      break;
    }
    const run: VerifiedRun = { runId: link.runId, artifacts: 0, intact: true };
    result.runs.push(run);
    const flag = (kind: ProblemKind, key: string, detail: string) => {
      run.intact = false;
      problem(kind, key, detail);
    };
    const actual = sha256Hex(bytes);
    if (actual !== link.sha256)
      flag('changed', manifestKey, `its SHA-256 is ${actual}; ${link.from} recorded ${link.sha256}`);
    const manifest = parseJson(bytes);
    if (!isManifest(manifest) || manifest.runId !== link.runId) {
      flag('unreadable', manifestKey, 'not a manifest of this run');
      break;
    }
    run.generatedAt = manifest.generatedAt;
    run.artifacts = manifest.artifacts.length;
    for (const artifact of manifest.artifacts) {
      const key = runKey(link.runId, artifact.name);
      const body = await store.get(key);
      if (body === undefined) flag('removed', key, `listed in ${manifestKey}`);
      else if (sha256Hex(body) !== artifact.sha256)
        flag('changed', key, `its SHA-256 is ${sha256Hex(body)}; ${manifestKey} recorded ${artifact.sha256}`);
    }
    const listed = new Set([MANIFEST_NAME, ...manifest.artifacts.map((artifact) => artifact.name)]);
    for (const name of runFolders.get(link.runId) ?? [])
      if (!listed.has(name)) flag('added', runKey(link.runId, name), `not listed in ${manifestKey}`);
    if (manifest.previous)
      next = { runId: manifest.previous.runId, sha256: manifest.previous.manifestSha256, from: manifestKey };
  }

  result.unchained = [...runFolders.keys()].filter((runId) => !visited.has(runId)).sort();
  for (const key of (await store.list('clusters/')).filter((name) => name.endsWith('/latest.json'))) {
    const bytes = await store.get(key);
    const pointer = bytes === undefined ? undefined : parseJson(bytes);
    if (!isClusterPointer(pointer)) problem('unreadable', key, 'not a pointer this tool writes');
    else if (!runFolders.has(pointer.runId))
      problem('removed', runKey(pointer.runId, MANIFEST_NAME), `${key} names this run, but it is gone`);
  }
  return result;
}

/** `runs/<id>/<name>` keys grouped by run id; anything else under runs/ is ignored. */
function groupByRun(keys: readonly string[]): Map<string, string[]> {
  const runs = new Map<string, string[]>();
  for (const key of keys) {
    const [, runId, name, ...rest] = key.split('/');
    if (runId === undefined || name === undefined || rest.length > 0 || !isRunId(runId)) continue;
    runs.set(runId, [...(runs.get(runId) ?? []), name]);
  }
  return runs;
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
}

function isManifest(value: unknown): value is RunManifest {
  if (typeof value !== 'object' || value === null) return false;
  const manifest = value as Partial<RunManifest>;
  return (
    manifest.kind === MANIFEST_KIND &&
    isRunId(manifest.runId) &&
    Array.isArray(manifest.artifacts) &&
    manifest.artifacts.every(
      (artifact) =>
        typeof artifact?.sha256 === 'string' &&
        typeof artifact.name === 'string' &&
        /^[A-Za-z0-9._-]+$/.test(artifact.name),
    ) &&
    (manifest.previous === undefined ||
      (isRunId(manifest.previous.runId) && typeof manifest.previous.manifestSha256 === 'string'))
  );
}
