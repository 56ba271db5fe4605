import { createHash, createHmac } from 'node:crypto';

/**
 * Checks an EKS bearer token the way aws-iam-authenticator does (prefix, base64url, https,
 * an STS host, path "/", only whitelisted parameters, GetCallerIdentity, a signed
 * x-k8s-aws-id header, X-Amz-Expires at most 900, X-Amz-Date not older than 15 minutes),
 * then, where the authenticator would ask STS, verifies the SigV4 signature itself with the
 * secret key of the test's access key and the cluster name as the x-k8s-aws-id header.
 */
export interface EksTokenCheck {
  clusterName: string;
  /** Access key id → secret access key (and the identity it stands for). */
  credentials: ReadonlyMap<string, { secretAccessKey: string; arn: string }>;
  now?: () => Date;
}

const PREFIX = 'k8s-aws-v1.';
const STS_HOST = /^sts(\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?$/;
const ALLOWED_PARAMETERS = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);

export type EksTokenResult = { ok: true; arn: string } | { ok: false; reason: string };

export function checkEksToken(token: string, check: EksTokenCheck): EksTokenResult {
  if (!token.startsWith(PREFIX)) return { ok: false, reason: `token is missing expected "${PREFIX}" prefix` };
  const encoded = token.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]*$/.test(encoded)) return { ok: false, reason: 'token is not raw base64url' };
  let url: URL;
  try {
    url = new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'token does not hold a URL' };
  }
  if (url.protocol !== 'https:') return { ok: false, reason: `unexpected scheme ${url.protocol}` };
  if (!STS_HOST.test(url.host)) return { ok: false, reason: `unexpected hostname ${url.host}` };
  if (url.pathname !== '/') return { ok: false, reason: 'unexpected path' };
  const params = new Map<string, string>();
  for (const key of new Set(url.searchParams.keys())) {
    if (!ALLOWED_PARAMETERS.has(key.toLowerCase()))
      return { ok: false, reason: `non-whitelisted query parameter ${key}` };
    const values = url.searchParams.getAll(key);
    if (values.length !== 1) return { ok: false, reason: 'query parameter with multiple values' };
    params.set(key.toLowerCase(), values[0] ?? '');
  }
  if (params.get('action') !== 'GetCallerIdentity') return { ok: false, reason: 'unexpected action' };
  const signedHeaders = (params.get('x-amz-signedheaders') ?? '').split(';');
  if (!signedHeaders.includes('x-k8s-aws-id')) return { ok: false, reason: 'x-k8s-aws-id is not signed' };
  const expires = Number(params.get('x-amz-expires'));
  if (!Number.isInteger(expires) || expires < 0 || expires > 900)
    return { ok: false, reason: 'invalid X-Amz-Expires' };
  const date = params.get('x-amz-date') ?? '';
  const signedAt = Date.parse(
    date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
  );
  if (Number.isNaN(signedAt)) return { ok: false, reason: 'X-Amz-Date missing or malformed' };
  const now = (check.now ?? (() => new Date()))().getTime();
  if (now > signedAt + 15 * 60_000)
    return { ok: false, reason: 'X-Amz-Date parameter is expired (15 minute expiration)' };
  const [accessKeyId, scopeDate, region, service, terminator] = (params.get('x-amz-credential') ?? '').split(
    '/',
  );
  const identity = accessKeyId === undefined ? undefined : check.credentials.get(accessKeyId);
  if (!identity || !scopeDate || !region || service !== 'sts' || terminator !== 'aws4_request') {
    return { ok: false, reason: 'unknown access key or malformed credential scope' };
  }
  const expected = signature(url, signedHeaders, check.clusterName, identity.secretAccessKey, {
    scopeDate,
    region,
    date,
  });
  return expected === params.get('x-amz-signature')
    ? { ok: true, arn: identity.arn }
    : { ok: false, reason: 'signature does not match' };
}

/** SigV4 for a presigned GET, written from the specification rather than with the signer under test. */
function signature(
  url: URL,
  signedHeaders: string[],
  clusterName: string,
  secret: string,
  scope: { scopeDate: string; region: string; date: string },
): string {
  const encode = (text: string) =>
    encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const query = [...url.searchParams.entries()]
    .filter(([key]) => key !== 'X-Amz-Signature')
    .map(([key, value]) => [encode(key), encode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const headerValues: Record<string, string> = { host: url.host, 'x-k8s-aws-id': clusterName };
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${headerValues[name] ?? ''}\n`).join('');
  // A GET has an empty body; its hash is part of the canonical request.
  const emptyPayload = createHash('sha256').update('').digest('hex');
  const canonicalRequest = ['GET', '/', query, canonicalHeaders, signedHeaders.join(';'), emptyPayload].join(
    '\n',
  );
  const credentialScope = `${scope.scopeDate}/${scope.region}/sts/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    scope.date,
    credentialScope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${secret}`, scope.scopeDate), scope.region), 'sts'),
    'aws4_request',
  );
  return createHmac('sha256', signingKey).update(stringToSign).digest('hex');
}
