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
  action: () => Promise<T>,
  options: PublishLockOptions = {},
): Promise<T> {
  const version = await acquire(store, runId, options);
  try {
    return await action();
  } finally {
    // A lease taken over after it ran out is the new holder's; and a release that fails leaves
    // a lease that ends by itself. Neither changes what the action stored.
    await store.delete(PUBLISH_LOCK_KEY, { ifMatch: version }).catch(() => undefined);
  }
}

async function acquire(store: ReportStore, runId: string, options: PublishLockOptions): Promise<string> {
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
    const body = `${JSON.stringify(mine, null, 2)}\n`;
    const current = await store.getVersioned(PUBLISH_LOCK_KEY);
    const holder = current === undefined ? undefined : parsePublishLock(current.body);
    try {
      if (current === undefined)
        return await store.put(PUBLISH_LOCK_KEY, body, JSON_TYPE, { ifNoneMatch: '*' });
      if (holder === undefined || isStale(holder, store, now))
        return await store.put(PUBLISH_LOCK_KEY, body, JSON_TYPE, { ifMatch: current.version });
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
  return holder !== undefined && !isStale(holder, store, Date.now()) ? holder : undefined;
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
      !Number.isNaN(Date.parse(value.expiresAt))
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
