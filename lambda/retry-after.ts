/**
 * `Retry-After` (RFC 9110), as the Kubernetes API server and webhook services send it:
 * delay-seconds or an HTTP date, in milliseconds from `now`. Undefined when absent or
 * unreadable; a date already past means at once.
 */
export function parseRetryAfter(
  value: string | readonly string[] | null | undefined,
  now: Date = new Date(),
): number | undefined {
  const text = (typeof value === 'string' ? value : value?.[0])?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
