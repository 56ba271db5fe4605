import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { NOTHING_READ_REASON } from '../../lambda/audit/cluster-audit.ts';
import { objectsIn } from '../../lambda/collect/object-shape.ts';
import { CORPUS_DIR } from '../helpers/paths.ts';
import { auditAsManifests, auditRealServer, conclusions, readByLiveAudit } from './compare.ts';
import { installAuditedCrds } from './crds.ts';
import { ClusterLoader } from './load.ts';
import { readerRbac, setReaderRules } from './rbac.ts';
import { type RealApiServer, realApiServerForTests, startRealApiServer } from './server.ts';

const binary = realApiServerForTests();

/** Every manifest and snapshot in the corpus (vendors' files as published, kubectl dumps). */
function corpusFiles(dir = CORPUS_DIR): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return corpusFiles(path);
      return /\.(ya?ml|json)$/.test(name) && name !== 'expected.yaml' ? [relative(CORPUS_DIR, path)] : [];
    });
}

/**
 * kubectl reads YAML 1.1 (go-yaml): `0640` is octal there (416) and decimal in YAML 1.2, and
 * the server refuses a defaultMode of 640. Objects go into the cluster as kubectl would send them.
 */
function asKubectlReads(file: string): Record<string, unknown>[] {
  const text = readFileSync(join(CORPUS_DIR, file), 'utf8');
  const documents = file.endsWith('.json')
    ? [JSON.parse(text) as unknown]
    : parseAllDocuments(text, { version: '1.1' }).map((document) => document.toJS() as unknown);
  return documents.flatMap(objectsIn) as Record<string, unknown>[];
}

/**
 * Objects in vendors' files that no API server takes as written (placeholders left for an
 * operator, a boolean where a string belongs, a selector that matches nothing). The manifest
 * audit still reads them; the rest of each file is compared.
 */
const REFUSED_AS_WRITTEN: Record<string, Array<{ object: string; reason: RegExp }>> = {
  'instana/instana-agent.daemonset.yaml': [
    { object: 'DaemonSet/placeholder/instana-agent', reason: /v1\.EnvVar\.Value: ReadString: expects "/ },
  ],
  'nvidia-gpu-operator/container-toolkit-daemonset-current.yaml': [
    {
      object: 'DaemonSet/FILLED BY THE OPERATOR/nvidia-container-toolkit-daemonset',
      reason: /Namespace "FILLED BY THE OPERATOR" is invalid/,
    },
  ],
  'openshift-crio/node-observability-agent-daemonset.yaml': [
    {
      object: 'DaemonSet/default/node-observability-agent',
      reason: /`selector` does not match template `labels`/,
    },
  ],
  'twistlock-prisma/defender-gcp-marketplace.yaml': [
    { object: 'Secret/twistlock/twistlock-secrets', reason: /illegal base64 data/ },
  ],
};

/**
 * Objects written for an API version that Kubernetes 1.20 no longer serves in any group that
 * holds their kind (Deployments in extensions/v1beta1, gone since 1.16): the server cannot
 * take them, as `kubectl apply` says ("no matches for kind"). The manifest audit still reads
 * them; the live audit compares what the server holds.
 */
const NOT_SERVED_BY_1_20: Record<string, string[]> = {
  'hyperledger-fabric/ibm-peersDeployment-2018.yaml': [
    'Deployment//blockchain-orderer',
    'Deployment//blockchain-ca',
    'Deployment//blockchain-org1peer1',
    'Deployment//blockchain-org2peer1',
    'Deployment//blockchain-org3peer1',
    'Deployment//blockchain-org4peer1',
  ],
};

let server: RealApiServer;
let loader: ClusterLoader;

describe.runIf(binary)('the corpus loaded into a real kube-apiserver audits as its manifests do', () => {
  beforeAll(async () => {
    server = await startRealApiServer({ binary: binary ?? '' });
    await installAuditedCrds(server.admin);
    await setReaderRules(server.admin, readerRbac().rules);
    loader = new ClusterLoader(server.admin);
  }, 600_000);
  afterAll(() => server?.close());

  test.each(corpusFiles())(
    '%s',
    async (file) => {
      const loaded = await loader.load(asKubectlReads(file));
      try {
        // Everything the server is asked to keep, it keeps, but for what no server takes.
        const refused = REFUSED_AS_WRITTEN[file] ?? [];
        expect(loaded.failed.map((failure) => failure.object)).toEqual(refused.map((entry) => entry.object));
        for (const [index, entry] of refused.entries())
          expect(loaded.failed[index]?.reason).toMatch(entry.reason);
        // Skipped: kinds that configure the server itself, which the live audit does not list,
        // and what 1.20 does not serve at all.
        const notServed = NOT_SERVED_BY_1_20[file] ?? [];
        expect(
          loaded.skipped
            .filter((skipped) => skipped.reason === 'kind not served by this server')
            .map((skipped) => skipped.object)
            .filter((object) => readByLiveAudit({ kind: object.split('/')[0] })),
        ).toEqual(notServed);
        for (const skipped of loaded.skipped.filter((entry) => !notServed.includes(entry.object)))
          expect(readByLiveAudit({ kind: skipped.object.split('/')[0] })).toBe(false);
        const live = await auditRealServer(server.kubeconfigs.reader);
        const manifests = await auditAsManifests(loaded.created.filter(readByLiveAudit));
        // A cluster that holds nothing the audit keeps (a Tekton Task alone, which is not loaded;
        // only objects the server refused; a ConfigMap alone that no workload or agent uses) is
        // an empty reading, and an empty reading is failed, never complete. The manifests say
        // what it holds of every listed kind but ConfigMaps, which the live audit keeps only
        // when a workload or the agent catalog names them.
        const holdsSomething =
          Object.entries(manifests.objects).some(([kind, count]) => kind !== 'ConfigMap' && count > 0) ||
          (live.objects.ConfigMap ?? 0) > 0;
        if (holdsSomething) {
          expect({ status: live.status, errors: live.errors }).toEqual({ status: 'complete', errors: [] });
          expect(conclusions(live)).toEqual(conclusions(manifests));
        } else {
          expect({ status: live.status, errors: live.errors }).toEqual({
            status: 'failed',
            errors: [{ source: 'demo', message: NOTHING_READ_REASON }],
          });
          // What the live audit dropped had no finding.
          expect(manifests.findings).toEqual([]);
        }
      } finally {
        await loader.deleteAll();
      }
    },
    120_000,
  );
});
