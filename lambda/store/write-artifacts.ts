import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Artifact } from '../report/render.ts';
import { errnoCode, errorText, writeFileAtomically } from './atomic-file.ts';
import { OutputError } from './errors.ts';

const HINTS: Record<string, string> = {
  ENOSPC: 'The disk is full. Free some space or choose another folder with --out.',
  EDQUOT: 'The disk quota is exhausted. Free some space or choose another folder with --out.',
  EACCES: 'Choose a folder you can write to with --out.',
  EPERM: 'Choose a folder you can write to with --out.',
  EROFS: 'The file system is read-only. Choose another folder with --out.',
  ENOTDIR: 'A file stands where the folder should be. Choose another folder with --out.',
};

/** Writes each artifact into `dir`; a failure never leaves a truncated report where a complete one was. */
export async function writeArtifacts(dir: string, artifacts: readonly Artifact[]): Promise<string[]> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw outputError(dir, error);
  }
  const written: string[] = [];
  for (const artifact of artifacts) {
    const target = join(dir, artifact.name);
    try {
      await writeFileAtomically(target, artifact.body);
    } catch (error) {
      throw outputError(target, error);
    }
    written.push(target);
  }
  return written;
}

function outputError(target: string, error: unknown): OutputError {
  const hint = HINTS[errnoCode(error)];
  return new OutputError(
    target,
    errorText(error),
    hint === undefined ? { cause: error } : { hint, cause: error },
  );
}
