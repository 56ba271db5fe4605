import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes a file through a temporary file and a rename, so that a full disk or a crash never
 * leaves a truncated file where a complete one was. Throws the file system's error.
 */
export async function writeFileAtomically(path: string, body: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, body);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
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
  ENOTDIR: 'A file stands where the folder should be. Choose another folder',
};

/**
 * The options of an error about a file system failure: its cause, and for the failures a user
 * can fix, a hint that ends with how to choose another folder (`with --out`, say).
 */
export function fileSystemFailure(error: unknown, chooseWith: string): { hint?: string; cause: unknown } {
  const problem = FILE_SYSTEM_PROBLEMS[errnoCode(error)];
  return problem === undefined ? { cause: error } : { hint: `${problem} ${chooseWith}.`, cause: error };
}
