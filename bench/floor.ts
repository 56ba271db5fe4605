/**
 * The floor: the least a Node program must do to read what the audit reads. The same lists
 * (the kinds the audit lists, found through the same discovery, at the same page sizes),
 * page by page with the next page asked for while this one is parsed, gzip, JSON.parse, and
 * nothing else: no rules, no retries, no @kubernetes/client-node (the kubeconfig is read with
 * `yaml`; client certificates and bearer tokens only). Its own few lines of HTTPS rather than
 * the audit's client, so the yardstick does not move when the client changes, and it imports
 * nothing of the audit but the list of kinds (the client's module pulls in the rule catalog).
 * Prints { items, seconds, maxRssMb }.
 *
 *   node bench/floor.ts --kubeconfig PATH --limit 500 --configmap-limit 100 [--context NAME]
 */
import { readFileSync } from 'node:fs';
import { Agent, get } from 'node:https';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { parse } from 'yaml';
import type { KubeApiClient } from '../lambda/collect/kube/api-client.ts';
import { AUDITED_RESOURCES, CONFIGMAPS, discoverResources } from '../lambda/collect/kube/discovery.ts';

/** The parts of a kubeconfig the floor understands (what the benchmark's kubeconfigs use). */
interface Kubeconfig {
  'current-context'?: string;
  contexts: Array<{ name: string; context: { cluster: string; user: string } }>;
  clusters: Array<{ name: string; cluster: { server: string; 'certificate-authority-data'?: string } }>;
  users: Array<{
    name: string;
    user: { token?: string; 'client-certificate-data'?: string; 'client-key-data'?: string };
  }>;
}

const started = performance.now();
const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    context: { type: 'string' },
    limit: { type: 'string' },
    'configmap-limit': { type: 'string' },
  },
});
const pageSize = (value: string | undefined, option: string) => {
  const size = Number(value);
  if (!Number.isInteger(size) || size <= 0) throw new Error(`${option}: the page size the audit uses`);
  return size;
};
const limit = pageSize(values.limit, '--limit');
const configMapLimit = pageSize(values['configmap-limit'], '--configmap-limit');
const config = parse(readFileSync(values.kubeconfig ?? '', 'utf8')) as Kubeconfig;
const contextName = values.context ?? config['current-context'];
const context = config.contexts.find((entry) => entry.name === contextName)?.context;
const cluster = config.clusters.find((entry) => entry.name === context?.cluster)?.cluster;
const user = config.users.find((entry) => entry.name === context?.user)?.user ?? {};
if (!cluster) throw new Error(`no context ${contextName} in ${values.kubeconfig}`);
const decode = (data: string | undefined) => (data === undefined ? undefined : Buffer.from(data, 'base64'));
const agent = new Agent({
  keepAlive: true,
  ca: decode(cluster['certificate-authority-data']),
  cert: decode(user['client-certificate-data']),
  key: decode(user['client-key-data']),
});
const headers: Record<string, string> = {
  Accept: 'application/json',
  'Accept-Encoding': 'gzip',
  ...(user.token && { Authorization: `Bearer ${user.token}` }),
};

interface Page {
  items?: unknown[];
  metadata?: { continue?: string };
}

function getJson(path: string): Promise<Page> {
  return new Promise((resolve, reject) => {
    get(`${cluster?.server}${path}`, { agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        if (response.statusCode !== 200) return reject(new Error(`GET ${path}: HTTP ${response.statusCode}`));
        const raw = Buffer.concat(chunks);
        const body = response.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        resolve(JSON.parse(body.toString('utf8')));
      });
    }).on('error', reject);
  });
}

// Discovery is a dozen small documents: the audit's own code finds where each kind lives. It
// asks its client for getJson and nothing else.
const { locations } = await discoverResources({ getJson } as unknown as KubeApiClient, [
  ...AUDITED_RESOURCES,
  CONFIGMAPS,
]);
let items = 0;
for (const location of locations) {
  const page = (token: string | undefined) => {
    const query = new URLSearchParams({
      limit: String(location.kind === 'ConfigMap' ? configMapLimit : limit),
    });
    if (token) query.set('continue', token);
    return getJson(`${location.path}?${query}`);
  };
  let pending = page(undefined);
  for (;;) {
    const list = await pending;
    const token = list.metadata?.continue;
    if (token) pending = page(token);
    items += list.items?.length ?? 0;
    if (!token) break;
  }
}
agent.destroy();
const seconds = (performance.now() - started) / 1000;
process.stdout.write(
  `${JSON.stringify({ items, seconds, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
);
