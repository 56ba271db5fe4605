import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** A kubeconfig user: a bearer token, a client certificate, an exec plugin, or fields as written. */
export type TestUser =
  | { token: string }
  | { clientCertificatePem: string; clientKeyPem: string }
  | { exec: { command: string; args?: string[] } }
  | { raw: Record<string, unknown> };

export interface TestContext {
  name: string;
  server: string;
  caPem: string;
  user: TestUser;
  /** More fields of the cluster entry (insecure-skip-tls-verify...). */
  cluster?: Record<string, unknown>;
}

/**
 * Writes a kubeconfig file as kubectl and the audit read it, with CA and credentials inline.
 * `top` replaces top-level fields, for kubeconfigs that are wrong on purpose.
 */
export async function writeKubeconfig(
  contexts: readonly TestContext[],
  current?: string,
  top: Record<string, unknown> = {},
): Promise<string> {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const document = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': current ?? contexts[0]?.name ?? '',
    clusters: contexts.map((context) => ({
      name: context.name,
      cluster: {
        server: context.server,
        'certificate-authority-data': b64(context.caPem),
        ...context.cluster,
      },
    })),
    users: contexts.map((context) => ({
      name: `${context.name}-user`,
      user:
        'raw' in context.user
          ? context.user.raw
          : 'token' in context.user
            ? { token: context.user.token }
            : 'exec' in context.user
              ? {
                  exec: {
                    apiVersion: 'client.authentication.k8s.io/v1beta1',
                    command: context.user.exec.command,
                    args: context.user.exec.args ?? [],
                    interactiveMode: 'Never',
                  },
                }
              : {
                  'client-certificate-data': b64(context.user.clientCertificatePem),
                  'client-key-data': b64(context.user.clientKeyPem),
                },
    })),
    contexts: contexts.map((context) => ({
      name: context.name,
      context: { cluster: context.name, user: `${context.name}-user` },
    })),
    ...top,
  };
  const dir = await mkdtemp(join(tmpdir(), 'dsa-kubeconfig-'));
  const path = join(dir, 'config');
  await writeFile(path, stringify(document), { mode: 0o600 });
  return path;
}
