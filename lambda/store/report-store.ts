/** SigV4 presigned URLs live at most seven days; links to stored reports never ask for more. */
export const MAX_LINK_SECONDS = 7 * 24 * 3600;
/** A link that expires before anyone can open it is a mistake, not a setting. */
export const MIN_LINK_SECONDS = 60;

/**
 * Where runs are kept: S3 in production, a local folder by default. Only I/O lives behind
 * this interface; the layout, pointers, hash chain and verification are built on top of it
 * (run-history.ts, verify.ts), the same for every store.
 *
 * Keys are `/`-separated and relative to the store's root (the S3 prefix or the folder).
 */
export interface ReportStore {
  /** Where the store is, for people: `s3://bucket/prefix` or a folder's absolute path. */
  readonly location: string;
  /** The object's bytes, or undefined when there is no such object. Throws `StoreError` otherwise. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Writes one object whole; a failed write leaves no partial object under `key`. */
  put(key: string, body: string, contentType: string): Promise<void>;
  /** Keys that start with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /**
   * A link a person can open: a presigned URL for S3 (valid for `expiresInSeconds`), the file's
   * path for a folder.
   */
  link(key: string, options?: { expiresInSeconds?: number }): Promise<string>;
}
