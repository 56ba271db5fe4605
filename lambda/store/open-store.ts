import type { StoreLocation } from '../config/store-location.ts';
import { UsageError } from '../errors.ts';
import { LocalDirectoryStore } from './local-store.ts';
import type { ReportStore } from './report-store.ts';

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
