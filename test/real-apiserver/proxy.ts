import { Agent, createServer, request } from 'node:https';
import { listenOnLoopback } from '../helpers/loopback.ts';
import type { ClientCertificate } from './server.ts';

export interface ProxiedRequest {
  path: string;
  status: number;
}

export interface PassThroughProxy {
  url: string;
  requests: ProxiedRequest[];
  close(): Promise<void>;
}

/**
 * An HTTPS hop between the audit and the real server that lets a test act at an exact moment
 * (before a request is forwarded), without changing what the server answers: every request
 * goes on with the identity's client certificate, and the server's status, headers and body
 * come back as they are.
 */
export async function startPassThroughProxy(options: {
  target: string;
  caPem: string;
  serverTls: { certPem: string; keyPem: string };
  identity: ClientCertificate;
  beforeForward: (path: string) => Promise<void>;
}): Promise<PassThroughProxy> {
  const agent = new Agent({
    ca: options.caPem,
    cert: options.identity.clientCertificatePem,
    key: options.identity.clientKeyPem,
    keepAlive: true,
  });
  const requests: ProxiedRequest[] = [];
  const server = createServer(
    { cert: options.serverTls.certPem, key: options.serverTls.keyPem },
    (incoming, outgoing) => {
      const path = incoming.url ?? '/';
      void options
        .beforeForward(path)
        .then(
          () =>
            new Promise<void>((resolve, reject) => {
              const headers = { ...incoming.headers };
              delete headers.host;
              const forwarded = request(
                `${options.target}${path}`,
                { method: incoming.method, headers, agent },
                (response) => {
                  requests.push({ path, status: response.statusCode ?? 0 });
                  outgoing.writeHead(response.statusCode ?? 502, response.headers);
                  response.pipe(outgoing);
                  response.on('end', resolve);
                  response.on('error', reject);
                },
              );
              forwarded.on('error', reject);
              incoming.pipe(forwarded);
            }),
        )
        .catch((error: unknown) => {
          requests.push({ path, status: 502 });
          if (!outgoing.headersSent) outgoing.writeHead(502, { 'Content-Type': 'text/plain' });
          outgoing.end(`proxy: ${String(error)}`);
        });
    },
  );
  const listening = await listenOnLoopback(server);
  return {
    url: `https://127.0.0.1:${listening.port}`,
    requests,
    close: async () => {
      agent.destroy();
      await listening.close();
    },
  };
}
