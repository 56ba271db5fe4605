/**
 * A condition on a write, as S3 conditional requests have them: create only when nothing is
 * under the key (`If-None-Match: *`), or replace only the version that was read (`If-Match`).
 * A write whose condition does not hold changes nothing and throws `WriteConflictError`.
 */
export type WriteCondition = { ifNoneMatch: '*' } | { ifMatch: string };

export interface VersionedObject {
  body: Uint8Array;
  /** Opaque: what `ifMatch` compares with (an S3 ETag, a folder's SHA-256 of the bytes). */
  version: string;
}

/**
 * A link to a stored object, and how long it really works. A presigned URL dies with the
 * credentials that signed it, whatever expiry it asked for: `until` says what bounds it.
 */
export interface ReportLink {
  url: string;
  /** When it stops working at the latest; absent for a file path, which does not expire. */
  expiresAt?: Date;
  /**
   * `requested`: the expiry asked for (the signing credentials outlive it). `credentials`: cut
   * short to the signing credentials' expiry. `session`: signed with temporary credentials whose
   * expiry is not known here (a Lambda role's session): it may stop working earlier.
   */
  until?: 'requested' | 'credentials' | 'session';
}

/**
 * Where runs are kept: S3 in production, a local folder by default. Only I/O lives behind
 * this interface; the layout, pointers, hash chain, publishing lock and verification are built
 * on top of it (run-history.ts, publish-lock.ts, verify.ts), the same for every store.
 *
 * Keys are `/`-separated and relative to the store's root (the S3 prefix or the folder).
 */
export interface ReportStore {
  /** Where the store is, for people: `s3://bucket/prefix` or a folder's absolute path. */
  readonly location: string;
  /**
   * True when every process that writes here runs on this machine (a local folder): a lock whose
   * owner's pid is gone can then be taken over at once instead of waiting for its lease to end.
   */
  readonly sameMachine: boolean;
  /** The object's bytes, or undefined when there is no such object. Throws `StoreError` otherwise. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** The object with its version, for a compare-and-swap; undefined when there is none. */
  getVersioned(key: string): Promise<VersionedObject | undefined>;
  /**
   * Writes one object whole and returns its new version; a failed write leaves no partial object
   * under `key`. With a condition, the check and the write are one atomic step.
   */
  put(key: string, body: string, contentType: string, condition?: WriteCondition): Promise<string>;
  /** Removes the object (nothing when there is none); with `ifMatch`, only that version. */
  delete(key: string, condition?: { ifMatch: string }): Promise<void>;
  /** Keys that start with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /**
   * A link a person can open: a presigned URL for S3 (valid for `expiresInSeconds`, or until
   * the signing credentials expire if that is sooner), the file's path for a folder.
   */
  link(key: string, options?: { expiresInSeconds?: number }): Promise<ReportLink>;
}
