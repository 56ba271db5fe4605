import { open } from 'node:fs/promises';
import { relative } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { ClusterSourceInfo } from '../report/model.ts';
import { counted, Samples } from '../samples.ts';
import type { ClusterSource, CollectionOutcome, CollectOptions, ObjectSink } from './cluster-source.ts';
import { describeFsError, manifestFiles, VisitedPaths, type WalkObserver } from './manifest-files.ts';
import { forEachObject } from './object-shape.ts';
import { DocumentReader } from './parse-documents.ts';

/** `-` reads one document stream from standard input: `kubectl get pods -A -o json | dockershim-audit scan --manifests -`. */
export const STDIN_PATH = '-';
const STDIN_LABEL = '(stdin)';
/** Read in pieces of this size: a file's memory is one piece and one object, whatever its size. */
const CHUNK_BYTES = 1024 * 1024;
/** `kubectl get ... | dockershim-audit scan --manifests -` where kubectl failed and printed nothing. */
export const EMPTY_STDIN =
  'standard input was empty: nothing was piped in (did the command before the pipe fail?)';
/** Past this many errors in one file (a binary file, say), the rest are counted, not listed. */
const MAX_ERRORS_PER_FILE = 20;
const PROGRESS_EVERY_OBJECTS = 50_000;

export type OpenStdin = () => AsyncIterable<string | Buffer> | Iterable<string | Buffer>;

/** What one collection read, to tell an empty input from a complete one. */
interface ReadCounts {
  filesFound: number;
  filesRead: number;
  documents: number;
  objects: number;
  failures: number;
  emptyStdin: boolean;
}

/**
 * Manifest files and `kubectl -o json|yaml` snapshots, as one cluster. Folders are read
 * recursively (YAML and JSON files only), following symbolic links. Each file is read in
 * chunks and parsed document by document (a List item by item), so memory follows one
 * object. A file or document that cannot be read is named, with its line, in the errors; the
 * rest is still audited and the cluster is `partial`. Input that holds no object is `failed`.
 */
export class ManifestSource implements ClusterSource {
  readonly name: string;
  private readonly paths: readonly string[];
  private readonly openStdin: OpenStdin;

  constructor(name: string, paths: readonly string[], openStdin: OpenStdin = openStandardInput) {
    this.name = name;
    this.paths = paths;
    this.openStdin = openStdin;
  }

  describe(): ClusterSourceInfo {
    return { type: 'manifests', paths: [...this.paths] };
  }

  async collect(sink: ObjectSink, options: CollectOptions = {}): Promise<CollectionOutcome> {
    const counts: ReadCounts = {
      filesFound: 0,
      filesRead: 0,
      documents: 0,
      objects: 0,
      failures: 0,
      emptyStdin: false,
    };
    const followed = new Samples();
    const skipped = new Samples();
    const notObjects = new Samples();
    const observer: WalkObserver = {
      error: (path, message) => {
        counts.failures++;
        sink.recordError({ source: displayPath(path), message });
      },
      followed: (link, target) => followed.add(`${displayPath(link)} -> ${target}`),
      skipped: (path, why) => skipped.add(`${displayPath(path)} ${why}`),
    };
    const visited = new VisitedPaths();
    // Files are read one after another: one buffer serves them all (130,000 small files must
    // not cost 130,000 allocations of a chunk).
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let stdinRead = false;
    let aborted = false;
    for (const path of this.paths) {
      if (path === STDIN_PATH && stdinRead) {
        skipped.add(`${STDIN_LABEL} named twice: it is read once`);
        continue;
      }
      const files = path === STDIN_PATH ? [STDIN_PATH] : manifestFiles(path, visited, observer);
      for await (const file of files) {
        if (options.signal?.aborted) {
          aborted = true;
          break;
        }
        counts.filesFound++;
        if (file === STDIN_PATH) stdinRead = true;
        await this.readFile(file, buffer, sink, counts, notObjects, options);
        if (counts.filesFound % 100 === 0) options.onProgress?.(`read ${counts.filesFound} files`);
      }
      if (aborted) break;
    }
    if (followed.count > 0)
      sink.note(`Followed ${counted(followed.count, 'symbolic link')}: ${followed.list()}.`);
    if (skipped.count > 0) sink.note(`Not read: ${skipped.list()}.`);
    if (notObjects.count > 0)
      sink.note(
        `${counted(notObjects.count, 'document')} held no Kubernetes object (no kind), for example a Helm values file: ${notObjects.list()}.`,
      );
    if (aborted || options.signal?.aborted)
      return { status: 'partial', reason: 'aborted before all files were read' };
    if (counts.objects === 0) return { status: 'failed', reason: emptyReason(counts) };
    return { status: counts.failures > 0 ? 'partial' : 'complete' };
  }

  /** Reads one file (or standard input) chunk by chunk; its objects go to the sink as they are parsed. */
  private async readFile(
    file: string,
    buffer: Buffer,
    sink: ObjectSink,
    counts: ReadCounts,
    notObjects: Samples,
    options: CollectOptions,
  ): Promise<void> {
    const isStdin = file === STDIN_PATH;
    const label = isStdin ? STDIN_LABEL : displayPath(file);
    // The identity of an unnamed object must not depend on the folder the command runs in.
    const origin = isStdin ? 'stdin' : file;
    let errors = 0;
    let text = false;
    const reader = new DocumentReader(
      (event) => {
        if (event.type === 'error') {
          counts.failures++;
          if (++errors <= MAX_ERRORS_PER_FILE)
            sink.recordError({ source: `${label}:${event.line}`, message: event.message, line: event.line });
          return;
        }
        counts.documents++;
        const { document, item } = event.position;
        const skippedValues = forEachObject(
          event.value,
          item === undefined ? [] : [item],
          (object, items) => {
            counts.objects++;
            sink.add(object, { source: origin, document, items });
            if (counts.objects % PROGRESS_EVERY_OBJECTS === 0)
              options.onProgress?.(`read ${counts.objects.toLocaleString('en')} objects`);
          },
        );
        if (skippedValues > 0) notObjects.add(`${label} document ${document}`);
      },
      { json: file.toLowerCase().endsWith('.json') },
    );
    try {
      const chunks = isStdin ? this.openStdin() : readChunks(file, buffer);
      const decoder = new StringDecoder('utf8');
      for await (const chunk of chunks) {
        const piece = typeof chunk === 'string' ? chunk : decoder.write(chunk);
        text ||= /\S/.test(piece);
        reader.write(piece);
        if (options.signal?.aborted) return;
      }
      const rest = decoder.end();
      if (rest) reader.write(rest);
      reader.end();
      counts.filesRead++;
      // Nothing piped in is a failed command upstream, not an empty cluster, even beside other files.
      if (isStdin && !text) {
        counts.failures++;
        counts.emptyStdin = true;
        sink.recordError({ source: label, message: EMPTY_STDIN });
      }
    } catch (error) {
      counts.failures++;
      sink.recordError({ source: label, message: describeFsError(error) });
    }
    if (errors > MAX_ERRORS_PER_FILE)
      sink.recordError({
        source: label,
        message: `${counted(errors - MAX_ERRORS_PER_FILE, 'more error')} in this file (not listed)`,
      });
  }
}

/** Every YAML/JSON file a path names, in the order they are read (for tools and tests); a problem on the way throws. */
export async function listManifestFiles(path: string): Promise<string[]> {
  const files: string[] = [];
  const problems: string[] = [];
  const observer: WalkObserver = {
    error: (where, message) => problems.push(`${where}: ${message}`),
    followed: () => undefined,
    skipped: () => undefined,
  };
  for await (const file of manifestFiles(path, new VisitedPaths(), observer)) files.push(file);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return files;
}

/** Why a source that yielded no object failed, in the words of what was given. */
function emptyReason(counts: ReadCounts): string {
  if (counts.emptyStdin && counts.filesFound === 1) return 'nothing was read from standard input';
  if (counts.filesFound === 0) return 'no .yaml, .yml or .json file was found';
  if (counts.filesRead === 0) return 'no manifest could be read';
  const documents =
    counts.documents > 0 ? `; ${counted(counts.documents, 'document')} held no object with a kind` : '';
  return `no Kubernetes object was found in ${counted(counts.filesRead, 'file')} read${documents}`;
}

/** A file's bytes, a buffer at a time, into the one buffer given (its text is copied out before the next read). */
async function* readChunks(path: string, buffer: Buffer): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

function displayPath(file: string): string {
  const fromHere = relative(process.cwd(), file);
  return fromHere.startsWith('..') ? file : fromHere;
}

/**
 * Standard input as text. Buffers, not strings, come from a pipe: a multi-byte character can
 * be split between two of them, so the decoding is left to the stream.
 */
function openStandardInput(): AsyncIterable<string> {
  process.stdin.setEncoding('utf8');
  return process.stdin;
}
