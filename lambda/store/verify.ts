import { isRecord } from '../kube/objects.ts';
import { sha256Hex } from '../sha256.ts';
import { currentPublishLock } from './publish-lock.ts';
import type { ReportStore } from './report-store.ts';
import {
  FLEET_POINTER_KEY,
  isArtifactName,
  isClusterPointer,
  isFleetPointer,
  isSha256,
  MANIFEST_NAME,
  parseJsonBytes,
  parseManifest,
  runFolders,
  runKey,
} from './run-history.ts';

export const ProblemKind = {
  changed: 'changed',
  removed: 'removed',
  added: 'added',
  unreadable: 'unreadable',
  /** A run folder (or a pointer to one) that the chain does not reach. */
  unchained: 'unchained',
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
  /** Run folders the chain does not reach; each is also a problem that says why. */
  unchained: string[];
  /** A run being published right now (it holds the publishing lease): outside the chain for a moment, not a problem. */
  publishing?: string;
}

const REPAIR = 'a "repair" re-derives it from the verified chain';

/**
 * Walks the hash chain from latest.json back to the first run and checks every artifact
 * against its manifest and every manifest against the hash its successor recorded; then names
 * every run folder the chain does not reach, and why. Reads only.
 */
export async function verifyStore(store: ReportStore): Promise<VerifyResult> {
  const result: VerifyResult = { location: store.location, runs: [], problems: [], unchained: [] };
  const problem = (kind: ProblemKind, key: string, detail: string) =>
    result.problems.push({ kind, key, detail });
  const folders = await runFolders(store);

  let next: ChainLink | undefined;
  const pointerBytes = await store.get(FLEET_POINTER_KEY);
  if (pointerBytes === undefined) {
    const complete = [...folders].filter(([, names]) => names.includes(MANIFEST_NAME));
    // Folders without a manifest alone are failed uploads (named below), not a lost pointer.
    if (complete.length > 0)
      problem(
        'removed',
        FLEET_POINTER_KEY,
        `the pointer to the latest run is missing, but the store holds ${complete.length} complete ${complete.length === 1 ? 'run' : 'runs'}: it was deleted, or the first publish stopped before moving it; ${REPAIR}`,
      );
  } else {
    const pointer = parseJsonBytes(pointerBytes);
    if (isFleetPointer(pointer))
      next = { runId: pointer.runId, sha256: pointer.manifestSha256, from: FLEET_POINTER_KEY };
    else problem('unreadable', FLEET_POINTER_KEY, `not a pointer this tool writes; ${REPAIR}`);
  }

  const { runs, problems, visited, cut } = await checkChain(store, next, folders);
  result.runs = runs;
  result.problems.push(...problems);

  const publishing = (await currentPublishLock(store))?.runId;
  for (const [runId, names] of folders) {
    if (visited.has(runId)) continue;
    if (runId === publishing) {
      result.publishing = runId;
      continue;
    }
    result.unchained.push(runId);
    problem(
      'unchained',
      `runs/${runId}/`,
      await whyUnchained(store, runId, names, visited, {
        cut: cut || next === undefined,
        ...(next && { head: next.runId }),
      }),
    );
  }
  for (const key of (await store.list('clusters/')).filter((name) => name.endsWith('/latest.json'))) {
    const bytes = await store.get(key);
    const pointer = bytes === undefined ? undefined : parseJsonBytes(bytes);
    if (!isClusterPointer(pointer)) problem('unreadable', key, 'not a pointer this tool writes');
    else if (!folders.has(pointer.runId))
      problem('removed', runKey(pointer.runId, MANIFEST_NAME), `${key} names this run, but it is gone`);
    else if (!visited.has(pointer.runId) && pointer.runId !== publishing)
      problem('unchained', key, `names run ${pointer.runId}, which is not in the chain`);
  }
  return result;
}

export interface ChainLink {
  runId: string;
  sha256: string;
  /** Who recorded the hash: latest.json or the next run's manifest. */
  from: string;
}

/**
 * Checks the chain from `start` back to its first run: each manifest against the hash its
 * successor recorded, each artifact against its manifest, each run folder against its list.
 */
export async function checkChain(
  store: ReportStore,
  start: ChainLink | undefined,
  folders: ReadonlyMap<string, readonly string[]>,
): Promise<{ runs: VerifiedRun[]; problems: VerifyProblem[]; visited: Set<string>; cut: boolean }> {
  const runs: VerifiedRun[] = [];
  const problems: VerifyProblem[] = [];
  const visited = new Set<string>();
  const problem = (kind: ProblemKind, key: string, detail: string) => problems.push({ kind, key, detail });
  let next = start;
  // The walk ends at a run that names no previous one, unless a missing or unreadable manifest cuts it.
  let cut = false;
  while (next) {
    const link: ChainLink = next;
    next = undefined;
    if (visited.has(link.runId)) {
      problem('changed', link.from, `the chain loops back to run ${link.runId}`);
      cut = true;
      break;
    }
    visited.add(link.runId);
    const manifestKey = runKey(link.runId, MANIFEST_NAME);
    const bytes = await store.get(manifestKey);
    if (bytes === undefined) {
      problem('removed', manifestKey, `${link.from} names this run, but its manifest is gone`);
      cut = true;
      break;
    }
    const run: VerifiedRun = { runId: link.runId, artifacts: 0, intact: true };
    runs.push(run);
    const flag = (kind: ProblemKind, key: string, detail: string) => {
      run.intact = false;
      problem(kind, key, detail);
    };
    const actual = sha256Hex(bytes);
    if (actual !== link.sha256)
      flag('changed', manifestKey, `its SHA-256 is ${actual}; ${link.from} recorded ${link.sha256}`);
    const manifest = parseManifest(bytes);
    if (manifest?.runId !== link.runId) {
      flag('unreadable', manifestKey, 'not a manifest of this run');
      cut = true;
      break;
    }
    run.generatedAt = manifest.generatedAt;
    run.artifacts = manifest.artifacts.length;
    const listed = new Set([MANIFEST_NAME]);
    for (const [index, entry] of manifest.artifacts.entries()) {
      const name: unknown = isRecord(entry) ? entry.name : undefined;
      const sha256: unknown = isRecord(entry) ? entry.sha256 : undefined;
      // A malformed entry is this run's problem; the other entries and runs are still checked.
      if (!isArtifactName(name) || !isSha256(sha256)) {
        flag(
          'unreadable',
          manifestKey,
          `artifact entry ${index + 1} ${JSON.stringify(name ?? null)} is not a file of this run with a SHA-256`,
        );
        continue;
      }
      listed.add(name);
      const key = runKey(link.runId, name);
      const body = await store.get(key);
      if (body === undefined) flag('removed', key, `listed in ${manifestKey}`);
      else if (sha256Hex(body) !== sha256)
        flag('changed', key, `its SHA-256 is ${sha256Hex(body)}; ${manifestKey} recorded ${sha256}`);
    }
    for (const name of folders.get(link.runId) ?? [])
      if (!listed.has(name)) flag('added', runKey(link.runId, name), `not listed in ${manifestKey}`);
    if (manifest.previous)
      next = { runId: manifest.previous.runId, sha256: manifest.previous.manifestSha256, from: manifestKey };
  }

  return { runs, problems, visited, cut };
}

async function whyUnchained(
  store: ReportStore,
  runId: string,
  names: readonly string[],
  chained: ReadonlySet<string>,
  chain: { cut: boolean; head?: string },
): Promise<string> {
  if (!names.includes(MANIFEST_NAME))
    return 'outside the chain, with no manifest: a publish that failed or was stopped before the run was complete. Not tampering, and not evidence; remove the folder once you have looked at it.';
  const bytes = await store.get(runKey(runId, MANIFEST_NAME));
  const manifest = bytes === undefined ? undefined : parseManifest(bytes);
  if (manifest === undefined) return 'outside the chain, and its manifest cannot be read';
  const previous = manifest.previous?.runId;
  if (previous !== undefined && previous === chain.head)
    return `a complete run that chains onto run ${previous}, the one latest.json names, but latest.json was not moved to it: a publish stopped before moving it, or latest.json was moved back; ${REPAIR}`;
  if (previous !== undefined && chained.has(previous))
    return `a complete run outside the chain: it chains onto run ${previous}, which the chain continues past with another run (two publishers at once: a fork), or its publish stopped before latest.json moved`;
  if (chain.cut)
    return 'a complete run the chain does not reach, because the chain is cut above it (see the problems above)';
  return previous === undefined
    ? 'a complete run outside the chain that starts a chain of its own (a second first run)'
    : `a complete run outside the chain: it chains onto run ${previous}, which the chain does not reach (a fork before it)`;
}
