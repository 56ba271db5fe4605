/**
 * What the manifest readers (JSON and YAML) hand out while they read a file chunk by chunk,
 * and the limits that keep one hostile or broken file from taking the run down with it.
 */

/** Where a value was read: its document in the file, its place in the document's `items`, its first line. */
export interface DocumentPosition {
  /** 1-based, counting documents that hold something. */
  document: number;
  /** 1-based index in the top-level `items` (or top-level JSON array) when read item by item. */
  item?: number;
  line: number;
}

export type ReadEvent =
  | { type: 'value'; value: unknown; position: DocumentPosition }
  | { type: 'error'; message: string; line: number };

export type ReadListener = (event: ReadEvent) => void;

/** A push parser: the caller writes text as it arrives and ends it once. */
export interface DocumentStreamReader {
  write(chunk: string): void;
  end(): void;
  /** Whether a value has been handed out yet (a JSON attempt may still fall back to YAML until then). */
  readonly delivered: boolean;
}

/**
 * Deeper than any real object (a CRD's schema nests a few dozen levels), shallow enough that
 * the recursive parts of the pipeline (List flattening, rules, YAML composition) stay far
 * from the stack's end.
 */
export const MAX_NESTING_DEPTH = 256;

/**
 * The largest single object (or List envelope) read, in characters. The API server stores at
 * most 1.5 MB per object (etcd's limit); its YAML form can be about twice that. Anything larger
 * is not an object a cluster could hold, and parsing it whole would take gigabytes.
 */
export const MAX_OBJECT_CHARS = 8 * 1024 * 1024;

/**
 * How many values one object may expand to, counting a YAML alias each time it is used: an
 * "alias bomb" (billion laughs) is a few lines that expand to billions of values.
 */
export const MAX_EXPANDED_VALUES = 1_000_000;

export const MEBIBYTE = 1024 * 1024;

/** `8 MB` for messages. */
export function megabytes(chars: number): string {
  return `${Math.round((chars / MEBIBYTE) * 10) / 10} MB`;
}
