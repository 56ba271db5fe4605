/** Where a stored value lives: a Secrets Manager secret or an SSM parameter (decrypted if secure). */
export type StoredTextLocation = { secretArn: string } | { parameterName: string };

/**
 * Reads a stored value as text: the secret's string (or its binary as UTF-8), or the
 * parameter's value. Undefined when it is empty; the SDK's error when it cannot be read, for
 * the caller to explain. The value itself is never logged. The SDK loads on first use.
 */
export async function readStoredText(location: StoredTextLocation): Promise<string | undefined> {
  if ('secretArn' in location) {
    const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    const client = new SecretsManagerClient({ region: regionOfSecret(location.secretArn) });
    try {
      const value = await client.send(new GetSecretValueCommand({ SecretId: location.secretArn }));
      if (value.SecretString) return value.SecretString;
      return value.SecretBinary ? Buffer.from(value.SecretBinary).toString('utf8') : undefined;
    } finally {
      client.destroy();
    }
  }
  const { GetParameterCommand, SSMClient } = await import('@aws-sdk/client-ssm');
  const client = new SSMClient({});
  try {
    const value = await client.send(
      new GetParameterCommand({ Name: location.parameterName, WithDecryption: true }),
    );
    return value.Parameter?.Value || undefined;
  } finally {
    client.destroy();
  }
}

/** Secrets Manager ARNs carry their region; use it, so a secret in another region works. */
function regionOfSecret(arn: string): string | undefined {
  return /^arn:[^:]+:secretsmanager:([^:]+):/.exec(arn)?.[1];
}
