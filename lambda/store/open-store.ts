import { UsageError } from '../errors.ts';
import { LocalDirectoryStore } from './local-store.ts';
import type { ReportStore } from './report-store.ts';

export type StoreLocation = { type: 's3'; bucket: string; prefix: string } | { type: 'local'; dir: string };

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** `s3://bucket/prefix` or a folder. */
export function parseStoreLocation(value: string): StoreLocation {
  if (!/^s3:\/\//i.test(value)) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value))
      throw new UsageError(`--store: unsupported location ${value}`, 'Use s3://BUCKET/PREFIX or a folder.');
    return { type: 'local', dir: value };
  }
  const [bucket = '', ...rest] = value.slice('s3://'.length).split('/');
  if (!BUCKET.test(bucket))
    throw new UsageError(
      `--store: "${bucket}" is not an S3 bucket name`,
      'Use s3://BUCKET/PREFIX, e.g. s3://audits/prod.',
    );
  return { type: 's3', bucket, prefix: rest.filter((part) => part !== '').join('/') };
}

export interface OpenStoreOptions {
  /** SSE-KMS key for every object (S3 only). */
  kmsKeyId?: string;
  /** Read for AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (LocalStack, S3-compatible servers). */
  env?: NodeJS.ProcessEnv;
  /** Long-term keys that sign report links (S3 only), so that they last the week SigV4 allows. */
  signingCredentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Opens a store; the AWS SDK is loaded only for S3, so that local runs start fast. */
export async function openStore(
  location: StoreLocation,
  options: OpenStoreOptions = {},
): Promise<ReportStore> {
  if (location.type === 'local') {
    if (options.kmsKeyId !== undefined)
      throw new UsageError('--kms-key-id encrypts objects in S3; it needs --store s3://BUCKET/PREFIX');
    return new LocalDirectoryStore(location.dir);
  }
  const [{ S3Client }, { S3ReportStore, s3ClientConfig }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('./s3-store.ts'),
  ]);
  const env = options.env ?? process.env;
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const client = new S3Client(s3ClientConfig(endpoint ? { endpoint } : {}));
  const { signingCredentials } = options;
  return new S3ReportStore({
    bucket: location.bucket,
    prefix: location.prefix,
    client,
    ...(options.kmsKeyId !== undefined && { kmsKeyId: options.kmsKeyId }),
    ...(signingCredentials && {
      signingClient: new S3Client(
        s3ClientConfig({ ...(endpoint && { endpoint }), credentials: signingCredentials }),
      ),
    }),
  });
}
