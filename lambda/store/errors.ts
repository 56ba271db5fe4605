import { AuditError } from '../errors.ts';

/** A report could not be written; nothing half-written replaces an earlier report. */
export class OutputError extends AuditError {
  override name = 'OutputError';
  readonly target: string;

  constructor(target: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('OUTPUT_FAILED', `cannot write ${target}: ${message}`, options);
    this.target = target;
  }
}

/** The report store could not be read or written. A run whose upload failed moves no pointer. */
export class StoreError extends AuditError {
  override name = 'StoreError';
  /** The store's location and key, e.g. `s3://audits/prod/runs/20261122T030000Z-3f9a1c/report.html`. */
  readonly target: string;

  constructor(target: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('STORE_FAILED', `${target}: ${message}`, options);
    this.target = target;
  }
}
