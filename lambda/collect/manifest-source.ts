import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import type { CollectionOutcome } from '../audit/cluster-audit.ts';
import { describeError } from '../errors.ts';
import type { ClusterSourceInfo } from '../report/model.ts';
import type { ClusterSource, CollectOptions, ObjectSink } from './cluster-source.ts';
import { objectsIn } from './object-shape.ts';
import { parseDocuments } from './parse-documents.ts';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
/** `-` reads one document stream from standard input: `kubectl get pods -A -o json | dockershim-audit scan --manifests -`. */
export const STDIN_PATH = '-';

/**
 * Manifest files and `kubectl -o json|yaml` snapshots, as one cluster. Folders are read
 * recursively (YAML and JSON files only). A file that cannot be read or parsed is named, with
 * its line, in the errors; the other files are still audited and the cluster is `partial`.
 */
export class ManifestSource implements ClusterSource {
  readonly name: string;
  private readonly paths: readonly string[];
  private readonly readStdin: () => Promise<string>;

  constructor(name: string, paths: readonly string[], readStdin: () => Promise<string> = readStandardInput) {
    this.name = name;
    this.paths = paths;
    this.readStdin = readStdin;
  }

  describe(): ClusterSourceInfo {
    return { type: 'manifests', paths: [...this.paths] };
  }

  async collect(sink: ObjectSink, options: CollectOptions = {}): Promise<CollectionOutcome> {
    let filesRead = 0;
    let failures = 0;
    for (const path of this.paths) {
      const files =
        path === STDIN_PATH
          ? [STDIN_PATH]
          : await listManifestFiles(path).catch((error: unknown) => {
              failures++;
              sink.recordError({ source: path, message: describeFsError(error) });
              return [];
            });
      for (const file of files) {
        if (options.signal?.aborted)
          return { status: 'partial', reason: 'aborted before all files were read' };
        const text = await (file === STDIN_PATH ? this.readStdin() : readFile(file, 'utf8')).catch(
          (error: unknown) => {
            failures++;
            sink.recordError({ source: file, message: describeFsError(error) });
            return undefined;
          },
        );
        if (text === undefined) continue;
        const label = file === STDIN_PATH ? '(stdin)' : displayPath(file);
        const parsed = parseDocuments(text, file);
        for (const error of parsed.errors) {
          failures++;
          const located = error.line === undefined ? {} : { line: error.line };
          sink.recordError({
            source: error.line === undefined ? label : `${label}:${error.line}`,
            message: error.message,
            ...located,
          });
        }
        for (const document of parsed.documents) for (const object of objectsIn(document)) sink.add(object);
        filesRead++;
        if (filesRead % 100 === 0) options.onProgress?.(`read ${filesRead} files`);
      }
    }
    if (filesRead === 0) return { status: 'failed', reason: 'no manifest could be read' };
    return { status: failures > 0 ? 'partial' : 'complete' };
  }
}

/** A file, or every YAML/JSON file below a folder, in a stable order. */
export async function listManifestFiles(path: string): Promise<string[]> {
  const info = await stat(path);
  if (info.isFile()) return [path];
  if (!info.isDirectory()) throw new Error(`${path} is neither a file nor a folder`);
  const files: string[] = [];
  const entries = await readdir(path, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) files.push(...(await listManifestFiles(child)));
    else if (entry.isFile() && MANIFEST_EXTENSIONS.has(extname(entry.name).toLowerCase())) files.push(child);
  }
  return files;
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a folder';
  return describeError(error);
}

function displayPath(file: string): string {
  const fromHere = relative(process.cwd(), file);
  return fromHere.startsWith('..') ? file : fromHere;
}

async function readStandardInput(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
