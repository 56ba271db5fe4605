import type { Dirent, Stats } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { describeError } from '../errors.ts';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export function isManifestName(path: string): boolean {
  return MANIFEST_EXTENSIONS.has(extname(path).toLowerCase());
}

/** What the walk tells its caller besides the files: problems (the input is incomplete) and what it did. */
export interface WalkObserver {
  error(path: string, message: string): void;
  /** A symbolic link was followed to a file or folder. */
  followed(link: string, target: string): void;
  /** Something was not read, and why (a loop, a second path to what was read, a broken link). */
  skipped(path: string, why: string): void;
}

/**
 * Real paths already read, across every path of one source: a folder reached twice (a link
 * loop, `--manifests k8s k8s/apps`) is read once, and so is a file.
 */
export class VisitedPaths {
  readonly folders = new Set<string>();
  readonly files = new Set<string>();
}

interface Folder {
  path: string;
  real: string;
  entries: Dirent[];
  next: number;
}

/**
 * A file, or every YAML/JSON file below a folder, in a stable order (names in code-point order,
 * depth first). Symbolic links are followed, to files and to folders, each real folder entered
 * once. The walk keeps one open folder per level on a stack of its own, so neither the number
 * of files nor the depth of folders can exhaust the call stack.
 */
export async function* manifestFiles(
  root: string,
  visited: VisitedPaths,
  observer: WalkObserver,
): AsyncGenerator<string> {
  let info: Stats;
  try {
    info = await stat(root);
  } catch (error) {
    observer.error(root, describeFsError(error));
    return;
  }
  if (info.isFile()) {
    // A file named on the command line is read whatever its extension.
    const real = await realpath(root).catch(() => root);
    if (visited.files.has(real)) observer.skipped(root, 'already read through another path');
    else {
      visited.files.add(real);
      yield root;
    }
    return;
  }
  if (!info.isDirectory()) {
    observer.error(root, 'neither a file nor a folder');
    return;
  }
  const stack: Folder[] = [];
  const first = await openFolder(root, await realpath(root).catch(() => root), visited, observer);
  if (first) stack.push(first);
  while (stack.length > 0) {
    const folder = stack[stack.length - 1] as Folder;
    const entry = folder.entries[folder.next++];
    if (!entry) {
      stack.pop();
      continue;
    }
    const path = join(folder.path, entry.name);
    const real = join(folder.real, entry.name);
    if (entry.isDirectory()) {
      const child = await openFolder(path, real, visited, observer);
      if (child) stack.push(child);
    } else if (entry.isFile()) {
      if (isManifestName(entry.name) && claimFile(real, path, visited, observer)) yield path;
    } else if (entry.isSymbolicLink()) {
      const target = await followLink(path, observer);
      if (!target) continue;
      if (target.info.isDirectory()) {
        const child = await openFolder(path, target.real, visited, observer);
        if (child) {
          observer.followed(path, target.real);
          stack.push(child);
        }
      } else if (target.info.isFile() && (isManifestName(entry.name) || isManifestName(target.real))) {
        if (claimFile(target.real, path, visited, observer)) {
          observer.followed(path, target.real);
          yield path;
        }
      }
    } else if (isManifestName(entry.name)) {
      // A FIFO or a device would block or never end: not read, but not silently.
      observer.skipped(path, 'not a regular file');
    }
  }
}

/** Reads a folder's entries, unless its real path was entered already (a loop or a second path to it). */
async function openFolder(
  path: string,
  real: string,
  visited: VisitedPaths,
  observer: WalkObserver,
): Promise<Folder | undefined> {
  if (visited.folders.has(real)) {
    observer.skipped(path, `leads to ${real}, which is already read (a loop, or a second path to it)`);
    return undefined;
  }
  visited.folders.add(real);
  try {
    const entries = await readdir(path, { withFileTypes: true });
    // Code-point order: the same on every machine, whatever its locale.
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { path, real, entries, next: 0 };
  } catch (error) {
    observer.error(path, describeFsError(error));
    return undefined;
  }
}

function claimFile(real: string, path: string, visited: VisitedPaths, observer: WalkObserver): boolean {
  if (visited.files.has(real)) {
    observer.skipped(path, `is ${real}, which is already read`);
    return false;
  }
  visited.files.add(real);
  return true;
}

async function followLink(
  path: string,
  observer: WalkObserver,
): Promise<{ info: Stats; real: string } | undefined> {
  try {
    const info = await stat(path);
    return { info, real: await realpath(path) };
  } catch (error) {
    const why = `a symbolic link that leads nowhere (${describeFsError(error)})`;
    // A link named like a manifest was meant to be read: that is a file missing from the audit.
    if (isManifestName(path)) observer.error(path, why);
    else observer.skipped(path, `is ${why}`);
    return undefined;
  }
}

export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a folder';
  if (code === 'ELOOP') return 'too many levels of symbolic links';
  if (code === 'ENAMETOOLONG') return 'the path is too long';
  return describeError(error);
}
