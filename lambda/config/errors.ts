import { AuditError } from '../errors.ts';

/** The configuration is invalid; nothing is read from clusters or written before this is fixed. */
export class ConfigError extends AuditError {
  override name = 'ConfigError';
  readonly origin: string;

  constructor(origin: string, message: string, hint?: string) {
    super('CONFIG_INVALID', `${origin}: ${message}`, hint === undefined ? {} : { hint });
    this.origin = origin;
  }
}
