import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { type S3Connection, s3ClientConfig } from '../../lambda/store/s3-store.ts';
import { listenOnLoopback } from './loopback.ts';

/**
 * An S3 for tests: s3rver on loopback behind `startConditionalWrites` (below), or LocalStack
 * (or any S3-compatible server with conditional writes) when DOCKERSHIM_AUDIT_TEST_S3_ENDPOINT
 * names one, e.g. http://localhost:4566. Each call gets a fresh bucket. No test needs Docker.
 */
export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** Another empty bucket on the same server (fleet mode's staging bucket). */
  createBucket(): Promise<string>;
  backend: 's3rver' | 'external';
  /** s3rver's own endpoint, without the conditional-write proxy (only to show what it lacks). */
  direct?: string;
  connection(overrides?: Partial<S3Connection>): S3Connection;
  client(overrides?: Partial<S3Connection>): S3Client;
  /** Environment for a CLI child process that should use this S3. */
  env(): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

const REGION = 'us-east-1';

export async function startTestS3(): Promise<TestS3> {
  const external = process.env.DOCKERSHIM_AUDIT_TEST_S3_ENDPOINT;
  const bucket = `audit-test-${randomBytes(4).toString('hex')}`;
  let endpoint: string;
  let credentials: { accessKeyId: string; secretAccessKey: string };
  let stop: () => Promise<void>;
  let direct: string | undefined;
  if (external) {
    endpoint = external;
    credentials = {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'test',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
    };
    const setup = new S3Client(s3ClientConfig({ endpoint, credentials, region: REGION }));
    await setup.send(new CreateBucketCommand({ Bucket: bucket }));
    setup.destroy();
    stop = async () => undefined;
  } else {
    const directory = await mkdtemp(join(tmpdir(), 'dsa-s3rver-'));
    const server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory,
      configureBuckets: [{ name: bucket, configs: [] }],
    });
    const address = await server.run();
    credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
    direct = `http://127.0.0.1:${address.port}`;
    const conditional = await startConditionalWrites(direct, credentials);
    endpoint = conditional.url;
    stop = async () => {
      await conditional.close();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    };
  }
  const connection = (overrides: Partial<S3Connection> = {}): S3Connection => ({
    endpoint,
    region: REGION,
    credentials,
    ...overrides,
  });
  const clients: S3Client[] = [];
  return {
    endpoint,
    bucket,
    backend: external ? 'external' : 's3rver',
    ...(direct !== undefined && { direct }),
    connection,
    client: (overrides) => {
      const client = new S3Client(s3ClientConfig(connection(overrides)));
      clients.push(client);
      return client;
    },
    createBucket: async () => {
      const name = `audit-test-${randomBytes(4).toString('hex')}`;
      const setup = new S3Client(s3ClientConfig(connection()));
      await setup.send(new CreateBucketCommand({ Bucket: name }));
      setup.destroy();
      return name;
    },
    env: () => ({
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    }),
    close: async () => {
      for (const client of clients) client.destroy();
      await stop();
    },
  };
}

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

/** The S3 error code the fault proxy answers with, by status. */
const FAULT_CODES: Record<number, string> = {
  409: 'ConditionalRequestConflict',
  412: 'PreconditionFailed',
  503: 'SlowDown',
};

/** What the proxy does with a request: forward it, or answer with this status itself. */
export type FaultRule = (request: SeenRequest, seenBefore: number) => number | undefined;

export interface FaultProxy {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of the test S3 that records every request and fails the
 * ones `rule` picks: a real S3 outage as the SDK sees it, retries included.
 */
export async function startFaultProxy(
  target: string,
  rule: FaultRule = () => undefined,
): Promise<FaultProxy> {
  const requests: SeenRequest[] = [];
  const upstream = new URL(target);
  const server: Server = createServer((incoming, response) => {
    const seen: SeenRequest = {
      method: incoming.method ?? 'GET',
      path: incoming.url ?? '/',
      headers: incoming.headers,
    };
    const seenBefore = requests.filter(
      (entry) => entry.method === seen.method && entry.path.split('?')[0] === seen.path.split('?')[0],
    ).length;
    requests.push(seen);
    const status = rule(seen, seenBefore);
    if (status !== undefined) {
      answerError(incoming, response, status, FAULT_CODES[status] ?? 'InternalError', 'injected by the test');
      return;
    }
    void forward(upstream, incoming, response);
  });
  const { port, close } = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${port}`, requests, close };
}

/**
 * Passes a request on to `upstream` and its answer back; resolves once the answer is sent.
 * The Host header is kept: the client signed it, and the server checks the signature.
 */
function forward(upstream: URL, incoming: IncomingMessage, response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    response.on('close', () => resolve());
    const request = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    request.on('error', () => response.destroy());
    incoming.pipe(request);
  });
}

/** Answers a request with an S3 error document, once its body has been read. */
function answerError(
  incoming: IncomingMessage,
  response: ServerResponse,
  status: number,
  code: string,
  message: string,
): Promise<void> {
  return new Promise((resolve) => {
    incoming.resume();
    incoming.on('end', () => {
      response.writeHead(status, { 'content-type': 'application/xml' });
      response.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
        () => resolve(),
      );
    });
  });
}

/**
 * S3's conditional writes, which s3rver 3.7.1 lacks: it honours If-None-Match only on GET and
 * ignores If-None-Match and If-Match on PutObject and DeleteObject (lib/controllers/object.js).
 * This loopback proxy in front of it enforces them as S3 documents them: a PUT with
 * `If-None-Match: *` on an existing key, or a PUT or DELETE with `If-Match` naming another ETag,
 * is answered with 412 PreconditionFailed; `If-Match` on a missing key with 404 NoSuchKey.
 * Every PUT and DELETE of a key (conditional or not) holds that key's mutex from the check
 * until s3rver has answered, so the check and the write are one atomic step for everything
 * that comes through here, as they are in S3.
 *
 * Emulated, and only that: those two headers on PutObject and DeleteObject, atomic per key.
 * Not emulated: S3's 409 ConditionalRequestConflict for overlapping conditional writes (here
 * they wait for each other instead; the store's code handles 409 like 412), conditional
 * CompleteMultipartUpload and CopyObject, and writes that bypass the proxy.
 */
export async function startConditionalWrites(
  target: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const head = new S3Client(
    s3ClientConfig({ endpoint: target, region: REGION, credentials, maxAttempts: 1 }),
  );
  const queues = new Map<string, Promise<void>>();
  const serialised = (key: string, task: () => Promise<void>) => {
    const run = (queues.get(key) ?? Promise.resolve()).then(task);
    const settled = run.catch(() => undefined);
    queues.set(key, settled);
    void settled.then(() => {
      if (queues.get(key) === settled) queues.delete(key);
    });
    return run;
  };
  const etagOf = async (bucket: string, key: string): Promise<string | undefined> => {
    try {
      return (await head.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag;
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
        return undefined;
      throw error;
    }
  };
  const unquoted = (etag: string) => etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');

  const server: Server = createServer((incoming, response) => {
    const { pathname } = new URL(incoming.url ?? '/', 'http://s3');
    const [, bucket = '', ...rest] = pathname.split('/');
    const key = rest.map((part) => decodeURIComponent(part)).join('/');
    const writes = incoming.method === 'PUT' || incoming.method === 'DELETE';
    if (!writes || key === '') {
      void forward(upstream, incoming, response);
      return;
    }
    const ifNoneMatch = incoming.headers['if-none-match'];
    const ifMatch = incoming.headers['if-match'];
    void serialised(`${bucket}/${key}`, async () => {
      if (ifNoneMatch !== undefined || ifMatch !== undefined) {
        const etag = await etagOf(bucket, key).catch(() => null);
        if (etag === null)
          return answerError(
            incoming,
            response,
            500,
            'InternalError',
            'the test proxy could not check the condition',
          );
        if (ifMatch !== undefined && etag === undefined)
          return answerError(incoming, response, 404, 'NoSuchKey', 'The specified key does not exist.');
        if (
          (ifNoneMatch !== undefined && etag !== undefined) ||
          (ifMatch !== undefined && etag !== undefined && unquoted(ifMatch) !== unquoted(etag))
        )
          return answerError(
            incoming,
            response,
            412,
            'PreconditionFailed',
            'At least one of the pre-conditions you specified did not hold',
          );
      }
      await forward(upstream, incoming, response);
    });
  });
  const { port, close } = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await close();
      head.destroy();
    },
  };
}
