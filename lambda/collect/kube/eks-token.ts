import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/**
 * The bearer token EKS accepts, made as `aws eks get-token` makes it, without the aws CLI:
 * a presigned STS GetCallerIdentity URL whose signature covers the `x-k8s-aws-id` header
 * (the cluster name), base64url-encoded behind `k8s-aws-v1.`. The API server's
 * authenticator replays the URL against STS to learn who we are.
 */
export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** The authenticator accepts a token for 15 minutes after it was signed; renew well before. */
export const EKS_TOKEN_RENEW_AFTER_MS = 10 * 60_000;

export interface EksToken {
  token: string;
  signedAt: Date;
}

export function stsHostname(region: string): string {
  return region.startsWith('cn-') ? `sts.${region}.amazonaws.com.cn` : `sts.${region}.amazonaws.com`;
}

export async function eksToken(options: {
  clusterName: string;
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  now?: Date;
}): Promise<EksToken> {
  const signedAt = options.now ?? new Date();
  const hostname = stsHostname(options.region);
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: 'sts',
    sha256: Sha256,
  });
  const request = new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname,
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host: hostname, 'x-k8s-aws-id': options.clusterName },
  });
  const presigned = await signer.presign(request, { expiresIn: 60, signingDate: signedAt });
  const query = Object.entries(presigned.query ?? {})
    .flatMap(([key, value]) =>
      Array.isArray(value) ? value.map((item) => [key, item]) : [[key, value ?? '']],
    )
    .map(([key, value]) => `${rfc3986(String(key))}=${rfc3986(String(value))}`)
    .join('&');
  const url = `https://${hostname}/?${query}`;
  return { token: `${EKS_TOKEN_PREFIX}${Buffer.from(url).toString('base64url')}`, signedAt };
}

function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
