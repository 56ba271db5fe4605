import { sha256Hex } from '../sha256.ts';
import { StoreError } from './errors.ts';
import { withPublishLock } from './publish-lock.ts';
import type { ReportStore } from './report-store.ts';
import {
  FLEET_POINTER_KEY,
  type FleetPointer,
  JSON_TYPE,
  MANIFEST_NAME,
  parseManifest,
  pointerBody,
  readHead,
  runFolders,
  runKey,
} from './run-history.ts';
import { checkChain } from './verify.ts';

export interface RepairResult {
  location: string;
  /** `unchanged`: latest.json was sound and no run was asked for. */
  action: 'unchanged' | 'repaired';
  /** The run latest.json names now, and how many runs its verified chain has. */
  head: { runId: string; runs: number };
  /** Complete runs the new head's chain does not reach: `verify` goes on naming them. */
  outside: string[];
}

/**
 * Re-derives latest.json from the stored runs, for a head that `scan` refuses to build on:
 * missing, unreadable, or behind a complete run that chains onto it. The new head is the
 * newest run of a chain: a run no other run chains onto, whose chain verifies completely back
 * to its first run. With several such runs (a fork), the caller names one. No run is
 * rewritten; only latest.json is written, as a compare-and-swap while holding the publishing
 * lease.
 */
export async function repairHead(
  store: ReportStore,
  options: { runId?: string } = {},
): Promise<RepairResult> {
  return withPublishLock(store, options.runId ?? 'repair', async (lease) => {
    const sound = await readHead(store, lease.interrupted ? { interrupted: lease.interrupted } : {}).catch(
      () => undefined,
    );
    const folders = await runFolders(store);
    const manifests = new Map<string, { bytes: Uint8Array; previous?: string }>();
    for (const [runId, names] of folders) {
      if (!names.includes(MANIFEST_NAME)) continue;
      const bytes = await store.get(runKey(runId, MANIFEST_NAME));
      const manifest = bytes === undefined ? undefined : parseManifest(bytes);
      if (bytes !== undefined && manifest?.runId === runId)
        manifests.set(runId, manifest.previous ? { bytes, previous: manifest.previous.runId } : { bytes });
    }
    const chainedOnto = new Set([...manifests.values()].flatMap((entry) => entry.previous ?? []));
    const tips = [...manifests.keys()].filter((runId) => !chainedOnto.has(runId));
    const fail = (message: string, hint: string) =>
      new StoreError(`${store.location}/${FLEET_POINTER_KEY}`, message, { code: 'REPAIR_REFUSED', hint });

    let runId = options.runId;
    if (runId === undefined) {
      // A sound head that no run chains onto stays; one that is behind a run is moved to it.
      if (sound && tips.includes(sound.pointer.runId)) {
        const { runs } = await checkChain(
          store,
          linkTo(sound.pointer.runId, sound.pointer.manifestSha256),
          folders,
        );
        lease.settled();
        return {
          location: store.location,
          action: 'unchanged',
          head: { runId: sound.pointer.runId, runs: runs.length },
          outside: outsideOf(manifests, runs),
        };
      }
      if (tips.length !== 1)
        throw fail(
          tips.length === 0
            ? 'there is no complete run to point to'
            : `${tips.length} runs are each the newest of a chain (${tips.join(', ')}): which one is the head is a decision, not a repair`,
          tips.length === 0
            ? 'A store without a complete run needs no latest.json: delete it, and the next scan starts the chain.'
            : 'Look at them with "verify", then choose one with --run RUN_ID; the others stay outside the chain and verify goes on naming them.',
        );
      runId = tips[0] as string;
    } else if (!manifests.has(runId)) {
      throw fail(
        `run ${runId} has no readable manifest in this store`,
        'Name a stored run: "verify" lists them.',
      );
    } else if (!tips.includes(runId)) {
      throw fail(
        `run ${runId} is not the newest of its chain: another run chains onto it`,
        `Runs that are the newest of a chain: ${tips.join(', ')}.`,
      );
    }
    const tip = manifests.get(runId);
    const manifest = tip === undefined ? undefined : parseManifest(tip.bytes);
    if (tip === undefined || manifest === undefined)
      throw fail(`run ${runId} cannot be read`, 'Run "verify".');
    const manifestSha256 = sha256Hex(tip.bytes);
    const { runs, problems } = await checkChain(store, linkTo(runId, manifestSha256), folders);
    if (problems.length > 0)
      throw fail(
        `the chain from run ${runId} does not verify (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}, the first: ${problems[0]?.key}: ${problems[0]?.detail})`,
        'latest.json only ever names a chain that verifies. "verify" shows every problem.',
      );
    const pointer: FleetPointer = {
      kind: 'dockershim-audit.latest',
      runId,
      generatedAt: manifest.generatedAt,
      manifestSha256,
      clusters: manifest.clusters.map((cluster) => cluster.name),
    };
    const current = await store.getVersioned(FLEET_POINTER_KEY);
    await store.put(
      FLEET_POINTER_KEY,
      pointerBody(pointer),
      JSON_TYPE,
      current === undefined ? { ifNoneMatch: '*' } : { ifMatch: current.version },
    );
    lease.settled();
    return {
      location: store.location,
      action: 'repaired',
      head: { runId, runs: runs.length },
      outside: outsideOf(manifests, runs),
    };
  });
}

function linkTo(runId: string, sha256: string) {
  return { runId, sha256, from: FLEET_POINTER_KEY };
}

function outsideOf(manifests: ReadonlyMap<string, unknown>, chain: readonly { runId: string }[]): string[] {
  const chained = new Set(chain.map((run) => run.runId));
  return [...manifests.keys()].filter((runId) => !chained.has(runId));
}
