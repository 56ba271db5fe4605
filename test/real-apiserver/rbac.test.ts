import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Report } from '../../lambda/report/model.ts';
import { demoObjects } from '../helpers/live.ts';
import { runCli } from '../helpers/run-cli.ts';
import { auditAsManifests, auditRealServer, conclusions } from './compare.ts';
import { installAuditedCrds } from './crds.ts';
import { ClusterLoader, type LoadOutcome } from './load.ts';
import { readerRbac, setReaderRules } from './rbac.ts';
import { type RealApiServer, realApiServerForTests, startRealApiServer } from './server.ts';

const binary = realApiServerForTests();
const { rules } = readerRbac();

let server: RealApiServer;
let loaded: LoadOutcome;

/** The resources a report's collection errors name ("list pods (v1)", "list configmaps named x (v1)"). */
const resourcesNamed = (errors: ReadonlyArray<{ source: string }>) =>
  new Set(errors.map((error) => /^list (\S+)/.exec(error.source)?.[1]));

describe.runIf(binary !== undefined)("deploy/rbac.yaml's role, enforced by a real kube-apiserver", () => {
  beforeAll(async () => {
    server = await startRealApiServer({ binary: binary ?? '' });
    await installAuditedCrds(server.admin);
    const rollout = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { template: { spec: { containers: [{ name: 'web', image: 'shop/web:1' }] } } },
    };
    loaded = await new ClusterLoader(server.admin).load([...demoObjects(), rollout]);
    expect(loaded.failed).toEqual([]);
  }, 600_000);
  afterAll(() => server?.close());

  test('is enough: the audit as that role is complete and reads every kind', async () => {
    await setReaderRules(server.admin, rules);
    const report = await auditRealServer(server.kubeconfigs.reader);
    expect({ status: report.status, errors: report.errors }).toEqual({ status: 'complete', errors: [] });
    expect(Object.keys(report.objects)).toEqual(
      expect.arrayContaining(['Node', 'Pod', 'Rollout', 'ConfigMap', 'PodDisruptionBudget']),
    );
    // The demo's findings and its migration plan, with the gateway's budget that allows no
    // disruption read from policy/v1beta1 (1.20 serves no policy/v1), as its files give them.
    expect(loaded.adjusted).toContainEqual({
      object: 'PodDisruptionBudget/enterprise-gateway/enterprise-gateway',
      change: 'apiVersion policy/v1 -> policy/v1beta1',
    });
    expect(conclusions(report)).toEqual(conclusions(await auditAsManifests(loaded.created)));
    expect(report.migration?.pools.flatMap((pool) => pool.drainRisks.map((risk) => risk.kind))).toContain(
      'no-disruption-allowed',
    );
  });

  test.each(rules.map((rule, index) => [rule.resources?.join(', '), index] as const))(
    'has nothing spare: without the rule for %s the audit is partial and names what it could not list',
    async (_, index) => {
      const without = rules.filter((__, other) => other !== index);
      await setReaderRules(server.admin, without);
      try {
        const report = await auditRealServer(server.kubeconfigs.reader);
        expect(report.status).toBe('partial');
        expect(resourcesNamed(report.errors)).toEqual(new Set(rules[index]?.resources));
        for (const error of report.errors) {
          // The server's own 403 words, and what to do about them.
          expect(error.message).toMatch(
            /HTTP 403: .* is forbidden: User "dockershim-audit" cannot list resource/,
          );
          expect(error.message).toContain('apply deploy/rbac.yaml');
        }
      } finally {
        await setReaderRules(server.admin, rules);
      }
    },
    60_000,
  );

  test('an identity with no permissions fails the cluster with the reason; it does not crash', async () => {
    const report = await auditRealServer(server.kubeconfigs.nobody);
    expect(report.status).toBe('failed');
    const lists = report.errors.filter((error) => error.source.startsWith('list '));
    expect(lists.length).toBeGreaterThan(0);
    expect(lists.filter((error) => !/HTTP 403: .* is forbidden: User "nobody"/.test(error.message))).toEqual(
      [],
    );
    expect(report.errors.filter((error) => !lists.includes(error))).toEqual([
      { source: 'demo', message: 'no resource could be listed' },
    ]);
  });

  test('the CLI as a user runs it: no permissions is exit 1, a failed cluster in report.json and a hint, no stack trace', async () => {
    const out = await mkdtemp(join(tmpdir(), 'dsa-real-rbac-'));
    const run = await runCli(['scan', '--kubeconfig', server.kubeconfigs.nobody, '--out', out]);
    expect(run.code).toBe(1);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/^\s+at /m);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as Report;
    expect(report.clusters.map((cluster) => cluster.status)).toEqual(['failed']);
    expect(`${run.stdout}${run.stderr}`).toContain('apply deploy/rbac.yaml');
  });
});
