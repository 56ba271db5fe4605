/**
 * Serves a generated cluster from a real kube-apiserver (v1.20.2 on etcd, see
 * scripts/real-apiserver/build.sh), loaded through its API as the simulator would serve it.
 * Prints one JSON line ({ url, kubeconfig, adminKubeconfig, loadS, ... }) once loaded, and
 * serves until told to stop (SIGTERM). The kubeconfig is the auditor's: a client certificate in
 * the group that deploy/rbac.yaml binds, held to exactly that role; the admin's is for looking.
 *
 *   node bench/real-server-process.ts --pods 20000 [--nodes 666]
 */
import { parseArgs } from 'node:util';
import { generatedObjects } from '../test/real-apiserver/generated-objects.ts';
import { ClusterLoader } from '../test/real-apiserver/load.ts';
import { readerRbac, setReaderRules } from '../test/real-apiserver/rbac.ts';
import { realApiServerBinary, startRealApiServer } from '../test/real-apiserver/server.ts';
import { generatedCluster } from '../test/simulator/generated-cluster.ts';

const { values } = parseArgs({ options: { pods: { type: 'string' }, nodes: { type: 'string' } } });
const located = realApiServerBinary();
if ('missing' in located) {
  process.stderr.write(
    `no real kube-apiserver: ${located.missing}\nBuild it: scripts/real-apiserver/build.sh\n`,
  );
  process.exit(2);
}
const pods = Number(values.pods ?? 20_000);
const { data, summary } = generatedCluster({ pods, ...(values.nodes && { nodes: Number(values.nodes) }) });
// etcd keeps about 3 KB per pod and every status patch's old revision until compaction.
const server = await startRealApiServer({ binary: located.binary, etcdQuotaBytes: 8 * 1024 ** 3 });
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
try {
  await setReaderRules(server.admin, readerRbac().rules);
  const started = performance.now();
  const loader = new ClusterLoader(server.admin);
  let loaded = 0;
  for (const batch of generatedObjects(data)) {
    const outcome = await loader.load(batch, { concurrency: 16 });
    if (outcome.failed.length > 0 || outcome.skipped.length > 0)
      throw new Error(`not loaded: ${JSON.stringify([...outcome.failed, ...outcome.skipped].slice(0, 3))}`);
    loaded += outcome.created.length;
    process.stderr.write(`\rreal server: ${loaded} objects loaded`);
  }
  process.stderr.write('\n');
  const loadS = Math.round((performance.now() - started) / 100) / 10;
  process.stdout.write(
    `${JSON.stringify({ url: server.url, kubeconfig: server.kubeconfigs.reader, adminKubeconfig: server.kubeconfigs.admin, loadS, ...summary })}\n`,
  );
} catch (error) {
  process.stderr.write(`real server: ${error instanceof Error ? error.message : String(error)}\n`);
  await server.close();
  process.exit(1);
}
