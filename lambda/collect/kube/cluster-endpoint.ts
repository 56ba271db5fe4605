import type { Agent as HttpAgent } from 'node:http';

/**
 * How to reach one API server: its URL, a connection pool with the cluster's TLS settings,
 * and fresh credentials per request (exec plugins and EKS tokens expire during long runs).
 * One endpoint per cluster, never shared: nothing from one cluster can leak into the next.
 */
export interface ClusterEndpoint {
  server: string;
  agent: HttpAgent;
  /** Headers for one request; `signal` is the cluster's deadline (a credential plugin is stopped at it). */
  authorize(signal?: AbortSignal): Promise<Record<string, string>>;
  /** For the report: which context and identity the audit used. Never a credential. */
  context?: string;
  identity?: string;
  /** The kubeconfig says insecure-skip-tls-verify: the server's certificate is not checked. */
  insecureSkipTlsVerify?: boolean;
  /** Credential material the endpoint was built with (client key, token, password): registered for redaction, never shown. */
  secrets?: readonly string[];
  close(): void;
}
