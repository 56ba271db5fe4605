import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRecord } from '../kube/objects.ts';
import { StoreError, WriteConflictError } from './errors.ts';
import { processIsAlive } from './lock-owner.ts';
import type { ReportStore } from './report-store.ts';

/**
 * One publisher at a time per store. Publishing reads the head of the chain, compares with the
 * run it names, writes the new run and moves the head; two publishers doing that at once would
 * both chain onto the same run (a fork), and the loser's objects could not be taken back (a run
 * is never rewritten). So a publisher first takes this lease, made of the store's own
 * conditional writes: created only when absent, taken over only from the version read, deleted
 * only in the version written. A lease that outlives its holder (a crash) ends at `expiresAt`,
 * or at once in a local folder when the holder's pid is gone. The head's own compare-and-swap
 * stays the last word: a publisher whose lease ran out cannot fork the chain, only fail.
 *
 * A publish can stop after its run is complete and before latest.json names it (a crash, an
 * outage). The next publisher must not chain onto the old head then, or the chain forks; so
 * the lease carries the news: a holder that stopped there leaves the lease as a note naming
 * the run (`interrupted`), and a crashed holder's lease names its run anyway. The publisher
 * that takes the lease over gets that run id (`HeldLease.interrupted`) to check, and the note
 * stays until a publisher or `repair` has dealt with it (`HeldLease.settled`).
 */
export const PUBLISH_LOCK_KEY = 'publish-lock.json';
/** Longer than publishing takes, S3 retries included; a crashed holder blocks no longer than this. */
export const PUBLISH_LEASE_MS = 10 * 60_000;
/** Waiting outlasts one lease, so a crashed holder delays the next run but never fails it. */
export const PUBLISH_LOCK_WAIT_MS = PUBLISH_LEASE_MS + 60_000;

export interface PublishLockRecord {
  kind: 'dockershim-audit.publish-lock';
  runId: string;
  host: string;
  pid: number;
  /** Tells this holder from another process with the same pid (Lambda sandboxes). */
  token: string;
  acquiredAt: string;
  expiresAt: string;
  /** Set when the holder stopped after storing this run and before moving latest.json. */
  interrupted?: string;
}

/** What a publisher holding the lease knows and may say about the runs before it. */
export interface HeldLease {
  /** A run whose publish stopped (as far as the lease knows) before latest.json moved to it. */
  readonly interrupted: string | undefined;
  /** The interrupted run needs no more attention (it was checked, finished or repaired). */
  settled(): void;
  /** This publish stopped after storing its run and before moving latest.json. */
  interrupt(runId: string): void;
}

export interface PublishLockOptions {
  /** How long to wait for another publisher. @default PUBLISH_LOCK_WAIT_MS */
  waitMs?: number;
  /** @default PUBLISH_LEASE_MS */
  leaseMs?: number;
}

/** Runs `action` while holding the store's publishing lease. */
export async function withPublishLock<T>(
  store: ReportStore,
  runId: string,
  action: (lease: HeldLease) => Promise<T>,
  options: PublishLockOptions = {},
): Promise<T> {
  const held = await acquire(store, runId, options);
  let note = held.interrupted;
  const lease: HeldLease = {
    interrupted: held.interrupted,
    settled: () => {
      note = undefined;
    },
    interrupt: (stopped) => {
      note = stopped;
    },
  };
  try {
    return await action(lease);
  } finally {
    // A lease taken over after it ran out is the new holder's; and a release that fails leaves
    // a lease that ends by itself. Neither changes what the action stored.
    const release =
      note === undefined
        ? store.delete(PUBLISH_LOCK_KEY, { ifMatch: held.version })
        : store.put(PUBLISH_LOCK_KEY, leaseBody({ ...held.record, interrupted: note }), JSON_TYPE, {
            ifMatch: held.version,
          });
    await release.catch(() => undefined);
  }
}

function leaseBody(record: PublishLockRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

async function acquire(
  store: ReportStore,
  runId: string,
  options: PublishLockOptions,
): Promise<{ version: string; record: PublishLockRecord; interrupted?: string }> {
  const leaseMs = options.leaseMs ?? PUBLISH_LEASE_MS;
  const deadline = Date.now() + (options.waitMs ?? PUBLISH_LOCK_WAIT_MS);
  const token = randomBytes(8).toString('hex');
  for (let attempt = 0; ; attempt++) {
    const now = Date.now();
    const mine: PublishLockRecord = {
      kind: 'dockershim-audit.publish-lock',
      runId,
      host: hostname(),
      pid: process.pid,
      token,
      acquiredAt: new Date(now).toISOString(),
      expiresAt: new Date(now + leaseMs).toISOString(),
    };
    const body = leaseBody(mine);
    const current = await store.getVersioned(PUBLISH_LOCK_KEY);
    const holder = current === undefined ? undefined : parsePublishLock(current.body);
    try {
      if (current === undefined)
        return {
          version: await store.put(PUBLISH_LOCK_KEY, body, JSON_TYPE, { ifNoneMatch: '*' }),
          record: mine,
        };
      if (holder === undefined || holder.interrupted !== undefined || isStale(holder, store, now)) {
        const version = await store.put(PUBLISH_LOCK_KEY, body, JSON_TYPE, { ifMatch: current.version });
        // A note names its run; a holder that crashed may have stopped anywhere, its run included.
        const interrupted = holder?.interrupted ?? holder?.runId;
        return { version, record: mine, ...(interrupted !== undefined && { interrupted }) };
      }
    } catch (error) {
      if (!(error instanceof WriteConflictError)) throw error;
      continue; // another publisher was quicker: look again
    }
    if (now > deadline) throw lockedError(store, holder);
    // Publishing takes a second or two: look again soon, jittered so that waiters spread out.
    await sleep(Math.min(500, 20 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random()));
  }
}

const JSON_TYPE = 'application/json; charset=utf-8';

function isStale(holder: PublishLockRecord, store: ReportStore, now: number): boolean {
  return now >= Date.parse(holder.expiresAt) || (store.sameMachine && !processIsAlive(holder));
}

/** The lease a store holds now, or undefined when nobody holds one (or it cannot be read). */
export async function currentPublishLock(store: ReportStore): Promise<PublishLockRecord | undefined> {
  const current = await store.get(PUBLISH_LOCK_KEY);
  const holder = current === undefined ? undefined : parsePublishLock(current);
  return holder !== undefined && holder.interrupted === undefined && !isStale(holder, store, Date.now())
    ? holder
    : undefined;
}

function parsePublishLock(bytes: Uint8Array): PublishLockRecord | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (
      isRecord(value) &&
      value.kind === 'dockershim-audit.publish-lock' &&
      typeof value.runId === 'string' &&
      typeof value.host === 'string' &&
      typeof value.pid === 'number' &&
      typeof value.expiresAt === 'string' &&
      !Number.isNaN(Date.parse(value.expiresAt)) &&
      (value.interrupted === undefined || typeof value.interrupted === 'string')
    )
      return value as unknown as PublishLockRecord;
  } catch {
    // An unreadable lease is no lease: it is taken over.
  }
  return undefined;
}

function lockedError(store: ReportStore, holder: PublishLockRecord | undefined): StoreError {
  const who = holder ? `run ${holder.runId} (process ${holder.pid} on ${holder.host})` : 'another run';
  return new StoreError(
    `${store.location}/${PUBLISH_LOCK_KEY}`,
    `${who} has been publishing to this store since ${holder?.acquiredAt ?? 'before this run'}; this run waited and did not store anything`,
    {
      code: 'STORE_LOCKED',
      hint: `Its lease ends at ${holder?.expiresAt ?? 'the latest in 10 minutes'}; run again after that. Delete ${PUBLISH_LOCK_KEY} only if you are sure no audit is publishing.`,
    },
  );
}
