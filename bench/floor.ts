/**
 * The floor: what reading the cluster costs with the audit's own client and nothing else.
 * Every list the audit reads, page by page, parsed with JSON.parse, and no rules. Prints
 * { items, seconds }.
 *
 *   node bench/floor.ts --kubeconfig PATH [--context NAME]
 */
import { parseArgs } from 'node:util';
import { KubeApiClient } from '../lambda/collect/kube/api-client.ts';
import { AUDITED_RESOURCES, CONFIGMAPS, discoverResources } from '../lambda/collect/kube/discovery.ts';
import {
  kubeconfigEndpoint,
  kubeconfigFromFile,
  readContexts,
} from '../lambda/collect/kube/kubeconfig-endpoint.ts';
import { pageSizeFor } from '../lambda/collect/kubernetes-source.ts';

const { values } = parseArgs({ options: { kubeconfig: { type: 'string' }, context: { type: 'string' } } });
const source = kubeconfigFromFile(values.kubeconfig ?? '');
const context = values.context ?? (await readContexts(source)).current ?? '';
const started = performance.now();
const endpoint = await kubeconfigEndpoint(source, context);
const client = new KubeApiClient(endpoint);
await client.getJson('/version');
const { locations } = await discoverResources(client, [...AUDITED_RESOURCES, CONFIGMAPS]);
let items = 0;
// ConfigMaps too are one paged list of the whole kind, as the audit reads them.
for (const location of locations) {
  const limit = pageSizeFor(location.kind);
  for await (const page of client.listPages(location.path, { limit })) items += page.length;
}
endpoint.close();
process.stdout.write(`${JSON.stringify({ items, seconds: (performance.now() - started) / 1000 })}\n`);
