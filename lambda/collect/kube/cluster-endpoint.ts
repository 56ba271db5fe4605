import type { Agent as HttpAgent } from 'node:http';

/**
 * How to reach one API server: its URL, a connection pool with the cluster's TLS settings,
 * and fresh credentials per request (exec plugins and EKS tokens expire during long runs).
 * One endpoint per cluster, never shared: nothing from one cluster can leak into the next.
 */
export interface ClusterEndpoint {
  server: string;
  agent: HttpAgent;
  authorize(): Promise<Record<string, string>>;
  /** For the report: which context and identity the audit used. Never a credential. */
  context?: string;
  identity?: string;
  close(): void;
}
