import { AuditError, type ErrorCode } from '../errors.ts';

/** A report could not be written; nothing half-written replaces an earlier report. */
export class OutputError extends AuditError {
  override name = 'OutputError';
  readonly target: string;

  constructor(target: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('OUTPUT_FAILED', `cannot write ${target}: ${message}`, options);
    this.target = target;
  }
}

export interface StoreErrorOptions {
  hint?: string;
  cause?: unknown;
  /** @default 'STORE_FAILED' */
  code?: ErrorCode;
}

/** The report store could not be read or written. A run whose upload failed moves no pointer. */
export class StoreError extends AuditError {
  override name = 'StoreError';
  /** The store's location and key, e.g. `s3://audits/prod/runs/20261122T030000Z-3f9a1c/report.html`. */
  readonly target: string;

  constructor(target: string, message: string, options: StoreErrorOptions = {}) {
    const { code = 'STORE_FAILED', ...rest } = options;
    super(code, `${target}: ${message}`, rest);
    this.target = target;
  }
}

/**
 * A conditional write found the object not as expected: it already exists (a create), or it
 * changed or disappeared since it was read (a compare-and-swap). Nothing was written.
 */
export class WriteConflictError extends StoreError {
  override name = 'WriteConflictError';

  constructor(target: string, message: string, options: { cause?: unknown } = {}) {
    super(target, message, { ...options, code: 'STORE_CONFLICT' });
  }
}

/**
 * The head of the chain (latest.json) cannot be trusted: unreadable, naming a run that is not
 * there, or missing while the store holds runs. Nothing is published until it is repaired.
 */
export class BrokenHeadError extends StoreError {
  override name = 'BrokenHeadError';

  constructor(location: string, key: string, message: string) {
    super(`${location}/${key}`, message, {
      code: 'HEAD_BROKEN',
      hint: `No run is stored until the chain has a head again, so nothing starts a second chain. See what is wrong with "dockershim-audit verify --store ${location}", then re-derive latest.json from the verified chain with "dockershim-audit repair --store ${location}".`,
    });
  }
}
