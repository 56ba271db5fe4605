import { inspect } from 'node:util';
import { REDACTED } from './redact.ts';

/**
 * A webhook URL or signing secret. It can only be read on purpose (`reveal()`): printing it,
 * interpolating it, `JSON.stringify` and `util.inspect` all show `[redacted]`, so settings can
 * be logged or returned from a Lambda without leaking what Secrets Manager or the environment gave.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}

/**
 * The parts of a webhook URL that grant access: Slack's token is its path, a Teams workflow's is
 * the `sig` query parameter. Long path segments and query values count too, because a receiver's
 * error page may echo only one of them; "long" is 16 characters, as tokens are, since they are
 * redacted from the whole run's output and a word such as `services` must stay.
 */
export function urlSecrets(url: URL): string[] {
  const parts = [url.href, `${url.origin}${url.pathname}`, `${url.pathname}${url.search}`];
  if (url.search.length > 1) parts.push(url.search.slice(1));
  if (url.pathname.length > 1) parts.push(url.pathname);
  for (const segment of url.pathname.split('/')) if (segment.length >= 16) parts.push(segment);
  for (const value of url.searchParams.values()) if (value.length >= 16) parts.push(value);
  if (url.username) parts.push(url.username);
  if (url.password) parts.push(url.password);
  return parts;
}

/** How a webhook is named in logs and results: scheme and host only, never the path or query. */
export function describeUrl(url: URL): string {
  const hidden = url.pathname.length > 1 || url.search.length > 0;
  return `${url.protocol}//${url.host}${hidden ? '/…' : ''}`;
}
