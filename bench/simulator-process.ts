/**
 * Serves a generated cluster in a process of its own, so the audit under measurement does
 * not share an event loop with its server. Prints one JSON line ({ url, kubeconfig, ... })
 * once listening, and serves until it is told to stop (SIGTERM).
 *
 *   node bench/simulator-process.ts --pods 150000 [--nodes 5000] [--contexts 1]
 */
import { parseArgs } from 'node:util';
import { ApiServerSimulator } from '../test/simulator/api-server.ts';
import { generatedCluster } from '../test/simulator/generated-cluster.ts';
import { writeKubeconfig } from '../test/simulator/kubeconfig.ts';

const { values } = parseArgs({
  options: { pods: { type: 'string' }, nodes: { type: 'string' }, contexts: { type: 'string' } },
});
const pods = Number(values.pods ?? 10_000);
const { data, summary } = generatedCluster({ pods, ...(values.nodes && { nodes: Number(values.nodes) }) });
const token = 'bench-token';
const simulator = await ApiServerSimulator.start({ data, tokens: { [token]: 'bench' } });
const contexts = Array.from({ length: Number(values.contexts ?? 1) }, (_, index) => ({
  name: `cluster-${String(index).padStart(3, '0')}`,
  server: simulator.url,
  caPem: simulator.caPem,
  user: { token },
}));
const kubeconfig = await writeKubeconfig(contexts);
process.stdout.write(`${JSON.stringify({ url: simulator.url, kubeconfig, ...summary })}\n`);
// The request log would grow with every page served; a benchmark has no use for it.
setInterval(() => simulator.requests.splice(0), 1000).unref();
process.on('SIGTERM', () => {
  void simulator.close().then(() => process.exit(0));
});
