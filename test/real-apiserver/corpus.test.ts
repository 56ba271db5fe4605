import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { objectsIn } from '../../lambda/collect/object-shape.ts';
import { parseDocuments } from '../../lambda/collect/parse-documents.ts';
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

let server: RealApiServer;
let loader: ClusterLoader;

describe.runIf(binary)('the corpus loaded into a real kube-apiserver audits as its manifests do', () => {
  beforeAll(async () => {
    server = await startRealApiServer({ binary: binary ?? '' });
    await installAuditedCrds(server.admin);
    await setReaderRules(server.admin, readerRbac().rules);
    loader = new ClusterLoader(server.admin);
  }, 180_000);
  afterAll(() => server?.close());

  test.each(corpusFiles())(
    '%s',
    async (file) => {
      const text = readFileSync(join(CORPUS_DIR, file), 'utf8');
      const objects = parseDocuments(text, file).documents.flatMap(objectsIn) as Record<string, unknown>[];
      const loaded = await loader.load(objects);
      try {
        // Everything the server is asked to keep, it keeps: a refusal would hide a difference.
        expect(loaded.failed).toEqual([]);
        for (const skipped of loaded.skipped)
          expect(readByLiveAudit({ kind: skipped.object.split('/')[0] })).toBe(false);
        const live = await auditRealServer(server.kubeconfigs.reader);
        const manifests = await auditAsManifests(loaded.created.filter(readByLiveAudit));
        expect({ status: live.status, errors: live.errors }).toEqual({ status: 'complete', errors: [] });
        expect(conclusions(live)).toEqual(conclusions(manifests));
      } finally {
        await loader.deleteAll();
      }
    },
    120_000,
  );
});
