import { AuditError, type ErrorCode } from '../errors.ts';

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
    options: { status?: number; hint?: string; cause?: unknown; code?: ErrorCode } = {},
  ) {
    super(
      options.code ?? (options.status === undefined ? 'KUBE_UNREACHABLE' : `KUBE_HTTP_${options.status}`),
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

/** A kubeconfig that cannot be used as written: names the file, the entry and the field. */
export class KubeconfigError extends AuditError {
  override name = 'KubeconfigError';
  readonly origin: string;
  constructor(origin: string, message: string, hint?: string) {
    super('KUBECONFIG_INVALID', `kubeconfig ${origin}: ${message}`, {
      hint:
        hint ??
        'Check it with kubectl config view --kubeconfig FILE; the field named must have the type kubectl expects.',
    });
    this.origin = origin;
  }
}
