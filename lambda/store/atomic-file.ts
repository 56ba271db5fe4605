import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, lstat, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * Writes a file through a temporary file and a rename, so that a full disk or a crash never
 * leaves a truncated file where a complete one was. The temporary file has an unpredictable
 * name and is created exclusively, so nothing planted there (a symlink) is followed; the rename
 * replaces a symlink at `path` instead of writing through it. Throws the file system's error.
 */
export async function writeFileAtomically(path: string, body: string | Uint8Array): Promise<void> {
  await makeDirectories(dirname(path));
  await withTemporaryFile(path, body, (temporary) => rename(temporary, path));
}

/**
 * Creates `path` with `body` only if nothing is there yet, atomically: the bytes are written to
 * a temporary file that is then hard-linked to `path`, which fails when any entry (a file, a
 * folder, a symlink) already has that name. Returns false when one had.
 */
export async function createFileExclusively(path: string, body: string | Uint8Array): Promise<boolean> {
  await makeDirectories(dirname(path));
  let created = true;
  await withTemporaryFile(path, body, async (temporary) => {
    try {
      await link(temporary, path);
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') created = false;
      else if (NO_HARD_LINKS.has(errnoCode(error))) created = await createDirectly(path, body);
      else throw error;
    }
  });
  return created;
}

// File systems without hard links (FAT, some network shares) get an exclusive create of the
// file itself: still never two creators, but a crash mid-write leaves a short file there.
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

async function createDirectly(path: string, body: string | Uint8Array): Promise<boolean> {
  try {
    await writeNewFile(path, body);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return false;
    throw error;
  }
}

/** Runs `use` on a fresh temporary file beside `path` holding `body`, then removes what is left of it. */
async function withTemporaryFile(
  path: string,
  body: string | Uint8Array,
  use: (temporary: string) => Promise<void>,
): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`);
  let created = false;
  try {
    await writeNewFile(temporary, body, () => {
      created = true;
    });
    await use(temporary);
  } finally {
    // After a rename nothing is left to remove; after a link or a failure the temporary name goes.
    if (created) await rm(temporary, { force: true }).catch(() => undefined);
  }
}

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Creates a new file (never an existing one, never through a symlink), writes it whole and flushes it. */
async function writeNewFile(path: string, body: string | Uint8Array, onCreated?: () => void): Promise<void> {
  const handle = await open(path, CREATE_NEW, 0o644);
  onCreated?.();
  try {
    await handle.writeFile(body);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates a folder and its missing parents one at a time. Node's recursive mkdir reports a
 * read-only file system as "no such file or directory" (and loops forever under /proc); one
 * level at a time the real reason comes back, and a parent that exists but refuses a new
 * folder is named as such.
 */
export async function makeDirectories(dir: string): Promise<void> {
  const missing: string[] = [];
  let current = resolve(dir);
  for (;;) {
    try {
      // The folder a user names may itself be a symlink (a store on another disk): stat follows it.
      if (!(await stat(current)).isDirectory()) throw fileSystemError('ENOTDIR', `not a folder: ${current}`);
      break;
    } catch (error) {
      const parent = dirname(current);
      if (errnoCode(error) !== 'ENOENT' || parent === current) throw error;
      missing.push(current);
      current = parent;
    }
  }
  for (const path of missing.reverse()) {
    try {
      await mkdir(path);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'EEXIST' && (await lstat(path)).isDirectory()) continue;
      // The parent is there, so "no such file" means this file system makes no folders (/proc, /sys).
      if (code === 'ENOENT')
        throw fileSystemError('ECANNOTCREATE', `cannot create the folder ${path}: the file system refuses`);
      throw error;
    }
  }
}

function fileSystemError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/** The errno code of a file system error, '' for anything else. */
export function errnoCode(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? '';
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message.replace(/^\w+: /, '') : String(error);
}

const FILE_SYSTEM_PROBLEMS: Record<string, string> = {
  ENOSPC: 'The disk is full. Free some space or choose another folder',
  EDQUOT: 'The disk quota is exhausted. Free some space or choose another folder',
  EACCES: 'You cannot write there. Choose another folder',
  EPERM: 'You cannot write there. Choose another folder',
  EROFS: 'The file system is read-only. Choose another folder',
  ECANNOTCREATE: 'No folder can be created there (a read-only or special file system). Choose another folder',
  ENOTDIR: 'A file stands where the folder should be. Choose another folder',
  ENAMETOOLONG:
    'A name is too long for this file system. Shorten it (a cluster name, say) or choose another folder',
  ELOOP: 'A symlink stands where the tool writes; it is not followed. Remove it or choose another folder',
};

/**
 * The options of an error about a file system failure: its cause, and for the failures a user
 * can fix, a hint that ends with how to choose another folder (`with --out`, say).
 */
export function fileSystemFailure(error: unknown, chooseWith: string): { hint?: string; cause: unknown } {
  const problem = FILE_SYSTEM_PROBLEMS[errnoCode(error)];
  return problem === undefined ? { cause: error } : { hint: `${problem} ${chooseWith}.`, cause: error };
}
