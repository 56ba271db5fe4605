import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Artifact } from '../report/render.ts';
import { errorText, fileSystemFailure, writeFileAtomically } from './atomic-file.ts';
import { OutputError } from './errors.ts';

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
  return new OutputError(target, errorText(error), fileSystemFailure(error, 'with --out'));
}
