import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sha256Hex } from '../sha256.ts';
import {
  createFileExclusively,
  errnoCode,
  errorText,
  fileSystemFailure,
  makeDirectories,
  writeFileAtomically,
} from './atomic-file.ts';
import { StoreError, WriteConflictError } from './errors.ts';
import { parseLockOwner, processIsAlive } from './lock-owner.ts';
import type { ReportLink, ReportStore, VersionedObject, WriteCondition } from './report-store.ts';

// Without --store the --out folder is the store, so the hint names both options.
const CHOOSE_STORE = 'with --store (or with --out when --store is not given)';
/** A compare-and-swap holds its key's lock for milliseconds; a holder still alive after this is stuck. */
const KEY_LOCK_WAIT_MS = 10_000;

/** A report store in a local folder: the default for the CLI, and what tests use beside S3. */
export class LocalDirectoryStore implements ReportStore {
  readonly location: string;
  readonly sameMachine = true;
  private readonly keyLockWaitMs: number;

  /** @param options.keyLockWaitMs how long a compare-and-swap waits for a live process's lock (default 10 s) */
  constructor(dir: string, options: { keyLockWaitMs?: number } = {}) {
    this.location = resolve(dir);
    this.keyLockWaitMs = options.keyLockWaitMs ?? KEY_LOCK_WAIT_MS;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return (await this.getVersioned(key))?.body;
  }

  async getVersioned(key: string): Promise<VersionedObject | undefined> {
    const path = this.pathOf(key);
    let body: Uint8Array;
    try {
      // The store never writes a symlink, so one found here was planted: it is not followed.
      const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        body = new Uint8Array(await handle.readFile());
      } finally {
        await handle.close();
      }
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw this.failure(key, 'read', error);
    }
    return { body, version: sha256Hex(body) };
  }

  async put(key: string, body: string, _contentType: string, condition?: WriteCondition): Promise<string> {
    const path = this.pathOf(key);
    try {
      await this.makeFoldersOf(key);
      if (condition === undefined) await writeFileAtomically(path, body);
      else if ('ifNoneMatch' in condition) {
        if (!(await createFileExclusively(path, body))) throw this.conflict(key, 'it already exists');
      } else {
        await this.withKeyLock(key, async () => {
          if ((await this.getVersioned(key))?.version !== condition.ifMatch)
            throw this.conflict(key, 'it changed since it was read');
          await writeFileAtomically(path, body);
        });
      }
    } catch (error) {
      throw error instanceof StoreError ? error : this.failure(key, 'write', error);
    }
    return sha256Hex(body);
  }

  async delete(key: string, condition?: { ifMatch: string }): Promise<void> {
    const path = this.pathOf(key);
    try {
      if (condition === undefined) await rm(path, { force: true });
      else
        await this.withKeyLock(key, async () => {
          if ((await this.getVersioned(key))?.version !== condition.ifMatch)
            throw this.conflict(key, 'it changed since it was read');
          await rm(path, { force: true });
        });
    } catch (error) {
      throw error instanceof StoreError ? error : this.failure(key, 'delete', error);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return;
        throw this.failure(relative(this.location, dir), 'list', error);
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile()) keys.push(relative(this.location, path).split(sep).join('/'));
      }
    };
    // Walk from the deepest folder the prefix names, not the whole store.
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    await walk(folder === '' ? this.location : this.pathOf(folder));
    return keys.filter((key) => key.startsWith(prefix)).sort();
  }

  async link(key: string): Promise<ReportLink> {
    return { url: this.pathOf(key) };
  }

  /** Keys are built by the tool, but parts of them (run ids) are read back from the store. */
  private pathOf(key: string): string {
    const parts = key.split('/');
    if (key.startsWith('/') || parts.some((part) => part === '' || part === '.' || part === '..'))
      throw new StoreError(`${this.location}/${key}`, 'not a key inside the store');
    return join(this.location, ...parts);
  }

  /**
   * The folders a key needs, one at a time below the store's own folder (which may be a symlink
   * the user chose). A symlink inside the store was not made by the tool: nothing is written
   * through it.
   */
  private async makeFoldersOf(key: string): Promise<void> {
    await makeDirectories(this.location);
    let current = this.location;
    for (const part of key.split('/').slice(0, -1)) {
      current = join(current, part);
      await mkdir(current).catch((error: unknown) => {
        if (errnoCode(error) !== 'EEXIST') throw error;
      });
      if (!(await lstat(current)).isDirectory())
        throw Object.assign(
          new Error(`${current} is not a folder (a symlink or a file); it is not followed`),
          {
            code: 'ELOOP',
          },
        );
    }
  }

  /**
   * A compare-and-swap on one file: `<file>.lock` is created exclusively and names its owner's
   * pid; the check and the rename happen while it is held. A lock whose process is gone is
   * removed; one held by a live process for longer than a compare-and-swap takes is an error.
   */
  private async withKeyLock(key: string, action: () => Promise<void>): Promise<void> {
    const lockPath = `${this.pathOf(key)}.lock`;
    const owner = `${JSON.stringify({ pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex') })}\n`;
    const deadline = Date.now() + this.keyLockWaitMs;
    for (let attempt = 0; !(await createFileExclusively(lockPath, owner)); attempt++) {
      const text = await readFile(lockPath, 'utf8').catch(() => undefined);
      const holder = parseLockOwner(text);
      if (text !== undefined && holder !== undefined && !processIsAlive(holder)) {
        // Only the stale lock just read is removed, not one a live process took meanwhile.
        if ((await readFile(lockPath, 'utf8').catch(() => undefined)) === text)
          await rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new StoreError(lockPath, `held by process ${holder?.pid ?? '?'} on ${holder?.host ?? '?'}`, {
          code: 'STORE_LOCKED',
          hint: 'Another dockershim-audit is writing this store. If no such process is running, delete the lock file.',
        });
      await sleep(Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random()));
    }
    try {
      await action();
    } finally {
      await rm(lockPath, { force: true });
    }
  }

  private conflict(key: string, reason: string): WriteConflictError {
    return new WriteConflictError(join(this.location, key), `not written: ${reason}`);
  }

  private failure(key: string, action: string, error: unknown): StoreError {
    return new StoreError(
      join(this.location, key),
      `cannot ${action}: ${errorText(error)}`,
      fileSystemFailure(error, CHOOSE_STORE),
    );
  }
}
