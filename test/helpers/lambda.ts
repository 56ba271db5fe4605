import { handler, type LambdaContext } from '../../lambda/handler.ts';
import type { FakeAws } from './fake-aws.ts';
import type { TestS3 } from './s3.ts';

/** The function's environment against the doubles: S3 on loopback, the fake AWS for the rest, evidence under audits/. */
export function serviceEnvironment(s3: TestS3, aws: FakeAws): Record<string, string | undefined> {
  return {
    ...s3.env(),
    AWS_ENDPOINT_URL: aws.url,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    DOCKERSHIM_AUDIT_BUCKET: s3.bucket,
    DOCKERSHIM_AUDIT_PREFIX: 'audits/',
  };
}

/** A context with two minutes left, as the Lambda runtime passes it. */
export function lambdaContext(): LambdaContext {
  const deadline = Date.now() + 120_000;
  return { getRemainingTimeInMillis: () => deadline - Date.now(), awsRequestId: 'test' };
}

/** Invokes the handler as Lambda does, its stdout (the JSON log lines) captured into `logs`. */
export async function invokeLogged(event: unknown, logs: string[]): Promise<unknown> {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    logs.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    return await handler(event, lambdaContext());
  } finally {
    process.stdout.write = write;
  }
}
