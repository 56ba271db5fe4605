import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { untilAborted } from '../../concurrency.ts';
import { RESPONSE_LIMIT_MB } from '../../defaults.ts';
import { AuditError, describeError, jsonKind } from '../../errors.ts';
import { isRecord } from '../../kube/objects.ts';
import { parseRetryAfter } from '../../retry-after.ts';
import { TOOL_VERSION } from '../../version.ts';
import { KubeApiError } from '../errors.ts';
import type { ClusterEndpoint } from './cluster-endpoint.ts';

/**
 * How hard to try before giving up on a request. Real API servers throttle (429), restart
 * (5xx, resets) and hang; a nightly audit should ride over that but never wait forever.
 */
export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest Retry-After honoured; a longer one fails the request instead of stalling the run. */
  maxRetryAfterMs: number;
  /** Idle time after which a request counts as hung. */
  requestTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
  requestTimeoutMs: 30_000,
};

const MIB = 1024 * 1024;
/** An error's body is a Status object: its message is all that is read, and a few KB hold it. */
const ERROR_BODY_BYTES = 64 * 1024;

export interface ApiClientOptions {
  retry?: Partial<RetryPolicy>;
  /** @default RESPONSE_LIMIT_MB.default MiB */
  maxResponseBytes?: number;
  /** Aborts every request and wait: the cluster's deadline. */
  signal?: AbortSignal;
  /** Injected in tests for speed and determinism. */
  random?: () => number;
}

export interface ListPageOptions {
  limit: number;
  fieldSelector?: string;
  /** Called when an expired continue token (410 Gone) forces the list to start over. */
  onRestart?: () => void;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const MAX_LIST_RESTARTS = 3;

/** Raw JSON access to one API server: typed deserialisation would double the time and drop fields. */
export class KubeApiClient {
  private readonly endpoint: ClusterEndpoint;
  private readonly retry: RetryPolicy;
  private readonly signal: AbortSignal | undefined;
  private readonly random: () => number;
  private readonly maxResponseBytes: number;

  constructor(endpoint: ClusterEndpoint, options: ApiClientOptions = {}) {
    this.endpoint = endpoint;
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.maxResponseBytes = options.maxResponseBytes ?? RESPONSE_LIMIT_MB.default * MIB;
    this.signal = options.signal;
    this.random = options.random ?? Math.random;
  }

  /** The deadline passed (or the run was cancelled): further requests fail at once. */
  get aborted(): boolean {
    return this.signal?.aborted === true;
  }

  /** GET a path and parse the JSON body, retrying what is worth retrying. */
  async getJson(path: string): Promise<unknown> {
    let lastError: KubeApiError | undefined;
    for (let attempt = 0; attempt < this.retry.attempts; attempt++) {
      this.throwIfAborted(path);
      let wait: number;
      try {
        return await this.attempt(path);
      } catch (error) {
        if (!(error instanceof RetryableError)) throw error;
        lastError = error.cause;
        wait =
          error.retryAfterMs ??
          this.random() * Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** attempt);
      }
      if (attempt + 1 < this.retry.attempts) await this.sleep(wait, path);
    }
    throw lastError ?? new KubeApiError(path, `GET ${path} failed`);
  }

  /**
   * Every item of a list, one page at a time (`limit`/`continue`), so memory holds a page (and
   * the next one in flight) rather than the whole cluster. The next page is asked for before
   * the current one is handed over, so the server prepares it while the caller audits this
   * one. An expired continue token (410 Gone) restarts the list from the beginning.
   */
  async *listPages(path: string, options: ListPageOptions): AsyncGenerator<unknown[]> {
    const fetchPage = (continueToken: string | undefined): Promise<unknown> => {
      const query = new URLSearchParams({ limit: String(options.limit) });
      if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
      if (continueToken) query.set('continue', continueToken);
      const request = this.getJson(`${path}?${query}`);
      // A caller that stops early leaves this request behind; its failure must not go unhandled.
      request.catch(() => undefined);
      return request;
    };
    let continueToken: string | undefined;
    let restarts = 0;
    let pending = fetchPage(undefined);
    for (;;) {
      let page: unknown;
      try {
        page = await pending;
      } catch (error) {
        if (
          error instanceof KubeApiError &&
          error.status === 410 &&
          continueToken &&
          restarts < MAX_LIST_RESTARTS
        ) {
          restarts++;
          continueToken = undefined;
          options.onRestart?.();
          pending = fetchPage(undefined);
          continue;
        }
        throw error;
      }
      // An answer that is not a list would read as an empty one: say so instead. (Go encodes an
      // empty slice as null, so `items: null` is an empty list.)
      if (!isRecord(page) || !(Array.isArray(page.items) || page.items === null)) {
        const what = isRecord(page) ? 'a mapping without an items list' : jsonKind(page);
        throw new KubeApiError(path, `GET ${path}: the answer is not a list but ${what}`, {
          hint: NOT_KUBERNETES_HINT,
        });
      }
      const metadata = page.metadata;
      continueToken =
        isRecord(metadata) && typeof metadata.continue === 'string' ? metadata.continue : undefined;
      if (continueToken) pending = fetchPage(continueToken);
      yield page.items ?? [];
      if (!continueToken) return;
    }
  }

  private async attempt(path: string): Promise<unknown> {
    let response: { status: number; headers: IncomingMessage['headers']; body: Buffer };
    try {
      response = await this.send(path);
    } catch (error) {
      // Our own verdicts (an answer too large, a credential plugin that failed) are final.
      if (error instanceof AuditError) throw error;
      if (this.signal?.aborted) throw deadlineError(path);
      const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
      // A certificate that does not verify, or a name that does not resolve, will not heal with retries.
      if (TLS_ERROR.test(code)) {
        throw new KubeApiError(path, `GET ${path}: ${networkMessage(error)}`, {
          cause: error,
          hint: TLS_HINT,
        });
      }
      const failure = new KubeApiError(path, `GET ${path}: ${networkMessage(error)}`, {
        cause: error,
        hint: NETWORK_HINT,
      });
      if (code === 'ENOTFOUND') throw failure;
      throw new RetryableError(failure);
    }
    const { status } = response;
    if (status >= 200 && status < 300) {
      try {
        return JSON.parse(response.body.toString('utf8'));
      } catch (error) {
        throw new RetryableError(
          new KubeApiError(path, `GET ${path}: the response is not valid JSON`, { status, cause: error }),
        );
      }
    }
    const error = new KubeApiError(path, `GET ${path}: ${statusMessage(status, response.body)}`, {
      status,
      ...(STATUS_HINTS[status] !== undefined && { hint: STATUS_HINTS[status] }),
    });
    if (!RETRYABLE_STATUS.has(status)) throw error;
    const retryAfter = status === 429 ? parseRetryAfter(response.headers['retry-after']) : undefined;
    if (retryAfter !== undefined && retryAfter > this.retry.maxRetryAfterMs) throw error;
    throw new RetryableError(error, retryAfter);
  }

  private async send(
    path: string,
  ): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
    // Appended, not resolved: a server URL may carry a path prefix (Rancher's /k8s/clusters/c-x).
    const url = new URL(`${this.endpoint.server.replace(/\/+$/, '')}${path}`);
    // Credentials may come from a plugin that hangs: the deadline bounds the wait for them too.
    const credentials = this.signal
      ? await untilAborted(this.endpoint.authorize(this.signal), this.signal, () => deadlineError(path))
      : await this.endpoint.authorize();
    const headers = {
      Accept: 'application/json',
      'Accept-Encoding': 'gzip',
      'User-Agent': `dockershim-audit/${TOOL_VERSION}`,
      ...credentials,
    };
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise((resolve, reject) => {
      const request = send(
        url,
        { method: 'GET', headers, agent: this.endpoint.agent, signal: this.signal },
        (response) => {
          const status = response.statusCode ?? 0;
          const ok = status >= 200 && status < 300;
          readBody(response, ok ? this.maxResponseBytes : ERROR_BODY_BYTES, ok ? 'fail' : 'truncate').then(
            (body) => resolve({ status, headers: response.headers, body }),
            (error: unknown) => {
              request.destroy();
              reject(error instanceof ResponseTooLarge ? tooLargeError(path, error) : error);
            },
          );
        },
      );
      request.setTimeout(this.retry.requestTimeoutMs, () => {
        request.destroy(new Error(`no answer within ${Math.round(this.retry.requestTimeoutMs / 1000)}s`));
      });
      request.on('error', reject);
      request.end();
    });
  }

  private sleep(ms: number, path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.signal?.aborted) return reject(deadlineError(path));
      const timer = setTimeout(() => {
        this.signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(deadlineError(path));
      };
      this.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private throwIfAborted(path: string): void {
    if (this.signal?.aborted) throw deadlineError(path);
  }
}

class RetryableError extends Error {
  override readonly cause: KubeApiError;
  readonly retryAfterMs: number | undefined;
  constructor(cause: KubeApiError, retryAfterMs?: number) {
    super(cause.message);
    this.cause = cause;
    this.retryAfterMs = retryAfterMs;
  }
}

const TLS_ERROR = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_TLS_CERT_ALTNAME|ERR_SSL_)/;
const TLS_HINT =
  "The server's certificate does not verify against the cluster's CA: check certificate-authority-data in the kubeconfig (or the EKS cluster's CA).";
const NETWORK_HINT =
  'Check that the API server address is reachable from where the audit runs (VPC, firewall, private endpoint).';

export const NOT_KUBERNETES_HINT =
  'Check that the server address is a Kubernetes API server, not a proxy or web server answering in its place.';

const STATUS_HINTS: Record<number, string> = {
  401: 'The credentials were rejected: the token may have expired, or the identity is not mapped in the cluster (EKS access entries, aws-auth).',
  403: "The audit's identity lacks a permission: apply deploy/rbac.yaml and bind it to that identity.",
};

/**
 * The body, inflated as it arrives when it is gzip (never all at once: a small gzip body can
 * expand to gigabytes), and never more than `limit` bytes of it: past that, `fail` stops
 * reading and rejects, `truncate` stops reading and keeps what came.
 */
async function readBody(
  response: IncomingMessage,
  limit: number,
  overflow: 'fail' | 'truncate',
): Promise<Buffer> {
  const gzip = /^\s*gzip\s*$/i.test(String(response.headers['content-encoding'] ?? ''));
  const declared = Number(response.headers['content-length']);
  if (overflow === 'fail' && !gzip && declared > limit) {
    response.destroy();
    throw new ResponseTooLarge(limit, false);
  }
  const inflater = gzip ? createGunzip() : undefined;
  const stream: Readable = inflater ? response.pipe(inflater) : response;
  if (inflater) response.on('error', (error) => inflater.destroy(error));
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (size + chunk.length > limit) {
        if (overflow === 'fail') throw new ResponseTooLarge(limit, gzip);
        chunks.push(chunk.subarray(0, limit - size));
        break;
      }
      size += chunk.length;
      chunks.push(chunk);
    }
  } finally {
    inflater?.destroy();
    response.destroy();
  }
  return Buffer.concat(chunks);
}

class ResponseTooLarge extends Error {
  readonly limit: number;
  readonly inflated: boolean;
  constructor(limit: number, inflated: boolean) {
    super('response too large');
    this.limit = limit;
    this.inflated = inflated;
  }
}

function tooLargeError(path: string, error: ResponseTooLarge): KubeApiError {
  const size = error.limit >= MIB ? `${Math.round(error.limit / MIB)} MiB` : `${error.limit} bytes`;
  return new KubeApiError(
    path,
    `GET ${path}: the answer is larger than ${size}${error.inflated ? ' once gzip is inflated' : ''}; it was not read`,
    {
      code: 'KUBE_RESPONSE_TOO_LARGE',
      hint: `No real page of a list comes near that: check that the server address is the API server itself, not a proxy. If the objects really are that large, raise the limit (--max-response-mb, or maxResponseMegabytes in the service configuration; at most ${RESPONSE_LIMIT_MB.max}).`,
    },
  );
}

function deadlineError(path: string): KubeApiError {
  return new KubeApiError(path, `GET ${path}: stopped at the cluster's deadline`, {
    hint: 'Raise the per-cluster deadline, or audit fewer clusters per run (fleet mode).',
  });
}

function statusMessage(status: number, body: Buffer): string {
  // Kubernetes explains itself in a Status object; show its message, not the raw body.
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { message?: unknown };
    if (typeof parsed.message === 'string' && parsed.message !== '')
      return `HTTP ${status}: ${parsed.message}`;
  } catch {
    // not JSON: fall through
  }
  return `HTTP ${status}`;
}

function networkMessage(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = describeError(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}
