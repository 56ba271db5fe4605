import { UsageError } from '../errors.ts';

/** Where runs are kept, as the user names it (--store): parsed here, opened by store/open-store.ts. */
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
