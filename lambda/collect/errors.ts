import { AuditError } from '../errors.ts';

/**
 * A Kubernetes API request that failed for good (after retries). `status` is the HTTP status,
 * or undefined for network failures (refused, reset, timed out, TLS).
 */
export class KubeApiError extends AuditError {
  override name = 'KubeApiError';
  readonly status: number | undefined;
  readonly path: string;

  constructor(
    path: string,
    message: string,
    options: { status?: number; hint?: string; cause?: unknown } = {},
  ) {
    super(
      options.status === undefined ? 'KUBE_UNREACHABLE' : `KUBE_HTTP_${options.status}`,
      message,
      options,
    );
    this.status = options.status;
    this.path = path;
  }
}

/** A cluster cannot even be described: bad kubeconfig entry, unsupported auth, missing EKS cluster. */
export class ClusterConnectionError extends AuditError {
  override name = 'ClusterConnectionError';
  constructor(message: string, hint?: string, cause?: unknown) {
    super('CLUSTER_CONNECTION', message, {
      ...(hint !== undefined && { hint }),
      ...(cause !== undefined && { cause }),
    });
  }
}
