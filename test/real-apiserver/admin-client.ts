import { Agent, request } from 'node:https';

export interface AdminResponse {
  status: number;
  body: string;
}

/**
 * The cluster administrator's HTTPS client (system:masters, client certificate): what a test
 * uses to load objects, patch status as a kubelet would, and change RBAC. Not the audit's
 * client: the audit reads through the product's own code and its own identities.
 */
export class AdminClient {
  private readonly agent: Agent;
  private readonly server: string;

  constructor(server: string, caPem: string, certPem: string, keyPem: string) {
    this.server = server;
    // Loading thousands of objects: keep connections open and a few requests in flight.
    this.agent = new Agent({ ca: caPem, cert: certPem, key: keyPem, keepAlive: true, maxSockets: 16 });
  }

  request(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<AdminResponse> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const outgoing = request(
        `${this.server}${path}`,
        {
          method,
          agent: this.agent,
          headers: {
            Accept: 'application/json',
            ...(payload && { 'Content-Type': contentType, 'Content-Length': payload.length }),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
        },
      );
      outgoing.setTimeout(60_000, () => outgoing.destroy(new Error(`${method} ${path}: no answer in 60s`)));
      outgoing.on('error', (error) =>
        reject(new Error(`${method} ${path}: ${error.message}`, { cause: error })),
      );
      outgoing.end(payload);
    });
  }

  /** The parsed body of a request that must succeed; anything else throws with the server's words. */
  async json(method: string, path: string, body?: unknown, contentType?: string): Promise<unknown> {
    const response = await this.request(method, path, body, contentType);
    if (response.status < 200 || response.status >= 300)
      throw new Error(`${method} ${path}: HTTP ${response.status}: ${response.body.slice(0, 500)}`);
    return JSON.parse(response.body);
  }

  close(): void {
    this.agent.destroy();
  }
}
