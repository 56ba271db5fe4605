import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { MAX_LINK_SECONDS } from '../defaults.ts';
import { describeError } from '../errors.ts';
import { StoreError, WriteConflictError } from './errors.ts';
import type { ReportLink, ReportStore, VersionedObject, WriteCondition } from './report-store.ts';

export const DEFAULT_LINK_SECONDS = MAX_LINK_SECONDS;
/** Attempts per request, the first included: S3's 5xx, throttling and network errors are retried with backoff. */
export const DEFAULT_S3_ATTEMPTS = 5;

export interface S3Connection {
  /**
   * An S3-compatible endpoint (LocalStack, a test server). Such servers get path-style
   * addressing and checksums only where S3 requires them; AWS itself keeps the SDK's defaults,
   * whose checksums Object Lock buckets need.
   */
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date };
  maxAttempts?: number;
}

export function s3ClientConfig(connection: S3Connection = {}): S3ClientConfig {
  const config: S3ClientConfig = {
    maxAttempts: connection.maxAttempts ?? DEFAULT_S3_ATTEMPTS,
    retryMode: 'standard',
    followRegionRedirects: true,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
  };
  if (connection.region !== undefined) config.region = connection.region;
  if (connection.credentials) config.credentials = connection.credentials;
  if (connection.endpoint !== undefined) {
    config.endpoint = connection.endpoint;
    config.forcePathStyle = true;
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  return config;
}

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix without leading or trailing `/`; empty for the bucket's root. */
  prefix?: string;
  /** Writes every object with SSE-KMS under this key (id, ARN or alias). */
  kmsKeyId?: string;
  client: S3Client;
  /**
   * Signs report links instead of `client`: one with an IAM user's long-term keys makes links
   * that work for the seven days SigV4 allows, where a role's session would end within hours.
   */
  signingClient?: S3Client;
}

/** Runs kept in S3: one object per artifact, written whole by PutObject. */
export class S3ReportStore implements ReportStore {
  readonly location: string;
  readonly sameMachine = false;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly kmsKeyId: string | undefined;
  private readonly client: S3Client;
  private readonly signingClient: S3Client;

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.kmsKeyId = options.kmsKeyId;
    this.client = options.client;
    this.signingClient = options.signingClient ?? options.client;
    this.location = `s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return (await this.getVersioned(key))?.body;
  }

  async getVersioned(key: string): Promise<VersionedObject | undefined> {
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }),
      );
      const body = response.Body ? await response.Body.transformToByteArray() : new Uint8Array();
      return { body, version: response.ETag ?? '' };
    } catch (error) {
      const name = errorName(error);
      // A missing bucket is a 404 too, and an error: only a missing key means "no such run yet".
      if (name === 'NoSuchKey' || (httpStatus(error) === 404 && name !== 'NoSuchBucket')) return undefined;
      throw this.failure(key, 'read', error);
    }
  }

  /**
   * PutObject, with S3's conditional writes for a condition: `If-None-Match: *` creates only,
   * `If-Match` replaces only the version read. 412 (and 404 for a replace whose object is gone,
   * 409 for a concurrent conditional write) mean the condition did not hold.
   */
  async put(key: string, body: string, contentType: string, condition?: WriteCondition): Promise<string> {
    try {
      const response = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.keyOf(key),
          Body: body,
          ContentType: contentType,
          ...(condition !== undefined &&
            ('ifNoneMatch' in condition ? { IfNoneMatch: '*' } : { IfMatch: condition.ifMatch })),
          ...(this.kmsKeyId !== undefined && {
            ServerSideEncryption: 'aws:kms',
            SSEKMSKeyId: this.kmsKeyId,
          }),
        }),
      );
      return response.ETag ?? '';
    } catch (error) {
      if (condition !== undefined && isConditionFailure(error, 'ifMatch' in condition))
        throw new WriteConflictError(`${this.location}/${key}`, `not written: ${describeS3Error(error)}`, {
          cause: error,
        });
      throw this.failure(key, 'upload', error);
    }
  }

  async delete(key: string, condition?: { ifMatch: string }): Promise<void> {
    try {
      await this.client.send(
        new DeleteObjectCommand({
          Bucket: this.bucket,
          Key: this.keyOf(key),
          ...(condition !== undefined && { IfMatch: condition.ifMatch }),
        }),
      );
    } catch (error) {
      if (condition !== undefined && isConditionFailure(error, true))
        throw new WriteConflictError(`${this.location}/${key}`, `not deleted: ${describeS3Error(error)}`, {
          cause: error,
        });
      throw this.failure(key, 'delete', error);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const root = this.prefix ? `${this.prefix}/` : '';
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: `${root}${prefix}`,
            ...(token !== undefined && { ContinuationToken: token }),
          }),
        );
        for (const object of page.Contents ?? [])
          if (object.Key?.startsWith(root)) keys.push(object.Key.slice(root.length));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    } catch (error) {
      throw this.failure(prefix, 'list', error);
    }
    return keys.sort();
  }

  async link(key: string, options: { expiresInSeconds?: number } = {}): Promise<ReportLink> {
    const asked = Math.min(options.expiresInSeconds ?? DEFAULT_LINK_SECONDS, MAX_LINK_SECONDS);
    try {
      // A URL signed with temporary credentials stops working when they expire: the link says
      // the earlier of the two, in X-Amz-Expires and in `expiresAt`.
      const credentials = await this.signingClient.config.credentials();
      const now = Date.now();
      const ends = credentials.expiration?.getTime();
      const cut = ends !== undefined && ends < now + asked * 1000;
      const expiresIn = cut ? Math.max(1, Math.floor((ends - now) / 1000)) : asked;
      const url = await getSignedUrl(
        this.signingClient,
        new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }),
        { expiresIn },
      );
      const until = cut
        ? 'credentials'
        : credentials.sessionToken && ends === undefined
          ? 'session'
          : 'requested';
      return { url, expiresAt: new Date(now + expiresIn * 1000), until };
    } catch (error) {
      throw this.failure(key, 'sign a link to', error);
    }
  }

  private keyOf(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private failure(key: string, action: string, error: unknown): StoreError {
    const hint = hintFor(error, this.kmsKeyId !== undefined);
    return new StoreError(
      `${this.location}/${key}`,
      `cannot ${action}: ${describeS3Error(error)}`,
      hint === undefined ? { cause: error } : { hint, cause: error },
    );
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

function isConditionFailure(error: unknown, replacing: boolean): boolean {
  const status = httpStatus(error);
  const name = errorName(error);
  return (
    status === 412 ||
    name === 'PreconditionFailed' ||
    status === 409 ||
    name === 'ConditionalRequestConflict' ||
    (replacing && (name === 'NoSuchKey' || status === 404) && name !== 'NoSuchBucket')
  );
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function describeS3Error(error: unknown): string {
  const status = httpStatus(error);
  const message = describeError(error);
  const name = errorName(error);
  const label = name && name !== 'Error' && !message.includes(name) ? `${name}: ` : '';
  return `${label}${message}${status !== undefined ? ` (HTTP ${status})` : ''}`;
}

function hintFor(error: unknown, kms: boolean): string | undefined {
  const name = errorName(error);
  const message = error instanceof Error ? error.message : '';
  if (name === 'CredentialsProviderError' || /credential/i.test(message))
    return 'No AWS credentials were found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where a role is available.';
  if (/region is missing/i.test(message)) return "Set AWS_REGION to the bucket's region.";
  if (name === 'NoSuchBucket') return 'Create the bucket, or correct its name in --store s3://BUCKET/PREFIX.';
  if (name === 'AccessDenied' || httpStatus(error) === 403)
    return `The identity needs s3:GetObject, s3:PutObject and s3:ListBucket on the prefix${kms ? ', and kms:GenerateDataKey and kms:Decrypt on the KMS key' : ''}.`;
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|socket hang up/i.test(`${name} ${message}`))
    return 'S3 could not be reached. Check the network, and AWS_ENDPOINT_URL if you use LocalStack.';
  return undefined;
}
