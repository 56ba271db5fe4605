import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { type S3Connection, s3ClientConfig } from '../../lambda/store/s3-store.ts';
import { listenOnLoopback } from './loopback.ts';

/**
 * An S3 for tests: s3rver on loopback, or LocalStack (or any S3-compatible server) when
 * DOCKERSHIM_AUDIT_TEST_S3_ENDPOINT names one, e.g. http://localhost:4566. Each call gets a
 * fresh bucket. No test needs Docker.
 */
export interface TestS3 {
  endpoint: string;
  bucket: string;
  backend: 's3rver' | 'external';
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
    endpoint = `http://127.0.0.1:${address.port}`;
    credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
    stop = async () => {
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
    connection,
    client: (overrides) => {
      const client = new S3Client(s3ClientConfig(connection(overrides)));
      clients.push(client);
      return client;
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
      incoming.resume();
      incoming.on('end', () => {
        response.writeHead(status, { 'content-type': 'application/xml' });
        response.end(
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${status === 503 ? 'SlowDown' : 'InternalError'}</Code><Message>injected by the test</Message></Error>`,
        );
      });
      return;
    }
    // The Host header is kept: the client signed it, and the server checks the signature.
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: seen.method,
        path: seen.path,
        headers: incoming.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forward.on('error', () => response.destroy());
    incoming.pipe(forward);
  });
  const { port, close } = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${port}`, requests, close };
}
