/**
 * Base of every error the tool explains to its user: a stable code for programs, a hint for
 * people. Entries print `message` and `hint`, never a stack trace, for these errors.
 */
export class AuditError extends Error {
  override name = 'AuditError';
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
  }
}

/** The command line is wrong (exit code 2). */
export class UsageError extends AuditError {
  override name = 'UsageError';
  constructor(message: string, hint?: string) {
    super('USAGE', message, hint === undefined ? {} : { hint });
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What a parsed value is, for a message that says what was expected: `null`, `a list`, `a number`... */
export function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a date';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}
