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
