import type { DeliveryPolicy } from '../config/notify-settings.ts';
import { parseRetryAfter } from '../retry-after.ts';
import { NotifyError, NotifyFailure } from './errors.ts';
import { plain } from './notice.ts';

/** The outside world a delivery touches, injectable so tests run on loopback with short waits. */
export interface DeliveryIO {
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
  /** In [0, 1), for backoff jitter. */
  random: () => number;
  log: (event: NotifyEvent) => void;
  /** Removes the run's secrets (the webhook's URL and key among them) from a receiver's or SDK's words. */
  redact: (text: string) => string;
}

/** Progress worth a log line. `target` is already safe to show; messages are redacted. */
export interface NotifyEvent {
  level: 'info' | 'warn';
  target: string;
  message: string;
}

export interface HttpRequest {
  body: string;
  headers: Record<string, string>;
}

export interface HttpDelivered {
  attempts: number;
  httpStatus: number;
}

type Attempt =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; problem: string; status?: number; retryAfterMs?: number }
  | { kind: 'final'; problem: string; status: number; redirect: boolean };

/**
 * POSTs until the receiver accepts, retrying with backoff on 5xx, 429 (after its Retry-After),
 * timeouts and network errors; never on other 4xx, which mean the payload or URL is wrong.
 * `request` is called per attempt, so a signature can carry the attempt's own time. Throws a
 * `NotifyError` whose message names the target only as `target` and has every secret redacted.
 */
export async function postWithRetry(
  url: URL,
  target: string,
  request: (at: Date) => HttpRequest,
  policy: DeliveryPolicy,
  io: DeliveryIO,
): Promise<HttpDelivered> {
  const started = io.now().getTime();
  let attempt = 0;
  const fail = (code: NotifyError['code'], message: string, status: number | undefined, hint?: string) =>
    new NotifyError(code, target, io.redact(message), {
      attempts: attempt,
      ...(hint !== undefined && { hint }),
      ...(status !== undefined && { httpStatus: status }),
    });
  for (;;) {
    attempt++;
    const result = await attemptOnce(url, request(io.now()), policy, io);
    if (result.kind === 'delivered') return { attempts: attempt, httpStatus: result.status };
    if (result.kind === 'final') {
      throw result.redirect
        ? fail(
            NotifyFailure.redirected,
            result.problem,
            result.status,
            'Use the final webhook URL; redirects are not followed.',
          )
        : fail(
            NotifyFailure.rejected,
            result.problem,
            result.status,
            'The receiver refused the message; check the webhook URL (it may have been revoked) and the format.',
          );
    }
    const tried = `${attempt} ${attempt === 1 ? 'attempt' : 'attempts'}`;
    if (attempt >= policy.maxAttempts) {
      throw fail(
        NotifyFailure.retriesExhausted,
        `${result.problem} (gave up after ${tried})`,
        result.status,
        'The receiver is failing or unreachable; the report is stored.',
      );
    }
    if (result.retryAfterMs !== undefined && result.retryAfterMs > policy.maxRetryAfterMs) {
      throw fail(
        NotifyFailure.rateLimited,
        `${result.problem}; it asked to wait ${Math.ceil(result.retryAfterMs / 1000)} s, more than the ${Math.ceil(policy.maxRetryAfterMs / 1000)} s allowed (after ${tried})`,
        result.status,
        'The webhook is rate-limited; post less often or to another webhook.',
      );
    }
    const delay = result.retryAfterMs ?? backoffMs(attempt, policy, io.random());
    if (io.now().getTime() - started + delay > policy.deadlineMs) {
      throw fail(
        NotifyFailure.deadline,
        `${result.problem}; no time left for another attempt within ${Math.ceil(policy.deadlineMs / 1000)} s (after ${tried})`,
        result.status,
      );
    }
    io.log({
      level: 'warn',
      target,
      message: io.redact(
        `attempt ${attempt} of ${policy.maxAttempts}: ${result.problem}; retrying in ${formatMs(delay)}`,
      ),
    });
    await io.sleep(delay);
  }
}

async function attemptOnce(
  url: URL,
  request: HttpRequest,
  policy: DeliveryPolicy,
  io: DeliveryIO,
): Promise<Attempt> {
  // One signal for connecting, sending and reading the answer: a receiver that hangs anywhere times out.
  const signal = AbortSignal.timeout(policy.timeoutMs);
  try {
    const response = await io.fetch(url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal,
    });
    const answer = await readSnippet(response);
    const status = response.status;
    const problem = `HTTP ${status}${answer ? `: ${answer}` : ''}`;
    if (status >= 200 && status < 300) return { kind: 'delivered', status };
    if (status === 429 || status >= 500) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), io.now());
      return { kind: 'retry', problem, status, ...(retryAfterMs !== undefined && { retryAfterMs }) };
    }
    return { kind: 'final', problem, status, redirect: status >= 300 && status < 400 };
  } catch (error) {
    if (signal.aborted) return { kind: 'retry', problem: `no answer within ${formatMs(policy.timeoutMs)}` };
    return { kind: 'retry', problem: `cannot reach the receiver (${networkReason(error)})` };
  }
}

/** The start of the receiver's answer, for the error message (Slack explains a 400 there). */
async function readSnippet(response: Response, maxBytes = 2048): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < maxBytes) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  const text = Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
  return plain(text.trim(), 200);
}

/** Exponential backoff with jitter: between half and all of base·2^(attempt-1), capped. */
export function backoffMs(attempt: number, policy: DeliveryPolicy, random: number): number {
  const ceiling = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random * ceiling) / 2);
}

function networkReason(error: unknown): string {
  // fetch reports "fetch failed" and keeps the reason (ECONNREFUSED, ENOTFOUND, ...) in `cause`.
  const cause = error instanceof Error ? error.cause : undefined;
  const code =
    cause !== null && typeof cause === 'object' && 'code' in cause ? String(cause.code) : undefined;
  if (code) return code;
  if (cause instanceof Error) return plain(cause.message, 200);
  return error instanceof Error ? plain(error.message, 200) : 'unknown error';
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
