import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { AUDITED_RESOURCES } from '../../lambda/collect/kube/discovery.ts';
import { agentConfigMapNames, bundledAgentCatalog } from '../../lambda/rules/agents/agent-catalog.ts';
import { auditLive, demoObjects, TOKEN } from '../helpers/live.ts';
import { REPO_ROOT } from '../helpers/paths.ts';
import { ApiServerSimulator, type PolicyRule } from '../simulator/api-server.ts';
import { clusterFromObjects } from '../simulator/cluster-data.ts';
import { writeKubeconfig } from '../simulator/kubeconfig.ts';

function clusterRoleRules(file: string): PolicyRule[] {
  const documents = parseAllDocuments(readFileSync(`${REPO_ROOT}deploy/${file}`, 'utf8')).map((document) =>
    document.toJS(),
  );
  const role = documents.find((document) => document.kind === 'ClusterRole');
  return role.rules as PolicyRule[];
}

let simulator: ApiServerSimulator | undefined;
afterEach(() => simulator?.close());

async function auditWith(rules: PolicyRule[], options: { readKubeletConfig?: boolean } = {}) {
  const rollout = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { template: { spec: { containers: [{ name: 'web', image: 'shop/web:1' }] } } },
  };
  const data = clusterFromObjects([...demoObjects(), rollout]);
  // configz as each kubelet serves it; containerRuntimeEndpoint is in the config file from 1.27 on.
  const endpointOf = (node: string) =>
    node.startsWith('ip-10-0-2-')
      ? 'unix:///var/run/cri-dockerd.sock'
      : node.startsWith('ip-10-0-3-')
        ? 'unix:///run/containerd/containerd.sock'
        : undefined;
  const nodes = demoObjects()
    .filter((object) => object.kind === 'Node')
    .map((node) => String((node.metadata as { name: string }).name));
  data.kubeletConfigs = new Map(
    nodes.map((node) => {
      const endpoint = endpointOf(node);
      return [
        node,
        { kind: 'KubeletConfiguration', ...(endpoint && { containerRuntimeEndpoint: endpoint }) },
      ];
    }),
  );
  simulator = await ApiServerSimulator.start({ data, tokens: { [TOKEN]: 'auditor' }, rbac: rules });
  const kubeconfig = await writeKubeconfig([
    { name: 'demo', server: simulator.url, caPem: simulator.caPem, user: { token: TOKEN } },
  ]);
  return auditLive(kubeconfig, options);
}

describe('deploy/rbac.yaml: exactly the access the audit needs', () => {
  const rules = clusterRoleRules('rbac.yaml');

  test('read-only, list only, no Secrets, nothing that is not named', () => {
    expect(new Set(rules.flatMap((rule) => rule.verbs))).toEqual(new Set(['list']));
    expect(rules.flatMap((rule) => rule.resources)).not.toContain('secrets');
    expect(rules.flatMap((rule) => rule.resources)).not.toContain('*');
    expect(rules.flatMap((rule) => rule.apiGroups)).not.toContain('*');
  });

  test('covers every kind the collector lists', () => {
    for (const wanted of AUDITED_RESOURCES) {
      expect(
        rules.some(
          (rule) => rule.apiGroups?.includes(wanted.group) && rule.resources?.includes(wanted.resource),
        ),
        wanted.kind,
      ).toBe(true);
    }
  });

  test('enforced by the API server, it is enough: the audit is complete', async () => {
    const report = await auditWith(rules);
    expect(report.status).toBe('complete');
    expect(report.workloads.map((workload) => workload.resource.kind)).toContain('ConfigMap');
  });

  test.each(rules.map((rule, index) => [rule.resources?.join(','), index] as const))(
    'and nothing in it is spare: without the rule for %s the audit is partial',
    async (_, index) => {
      const report = await auditWith(rules.filter((__, other) => other !== index));
      expect(report.status).toBe('partial');
      expect(report.errors.some((error) => /forbidden/.test(error.message))).toBe(true);
    },
  );

  test("a role that lists only the catalog's ConfigMaps by name: those are still read, and the cluster is partial with the reason", async () => {
    const narrow = rules.map((rule) =>
      rule.resources?.includes('configmaps')
        ? { ...rule, resourceNames: agentConfigMapNames(bundledAgentCatalog()) }
        : rule,
    );
    const report = await auditWith(narrow);
    expect(report.status).toBe('partial');
    expect(report.errors.map((error) => error.source)).toEqual(['list configmaps in all namespaces (v1)']);
    expect(report.errors[0]?.message).toMatch(/forbidden/);
    // The demo cluster's Argo controller ConfigMap is in the catalog and is still audited.
    expect(report.workloads.map((workload) => workload.resource.kind)).toContain('ConfigMap');
  });

  test('kubelet configz needs the optional nodes/proxy role, and then names the runtime endpoint', async () => {
    const without = await auditWith(rules, { readKubeletConfig: true });
    expect(without.status).toBe('partial');
    expect(without.errors[0]?.source).toMatch(/^kubelet configz of node /);
    const report = await auditWith([...rules, ...clusterRoleRules('rbac-kubelet-config.yaml')], {
      readKubeletConfig: true,
    });
    expect({ errors: report.errors, status: report.status }).toEqual({ errors: [], status: 'complete' });
    const criDockerd = report.findings.find((finding) => finding.rule === 'DS041');
    expect(criDockerd?.evidence.kubeletRuntimeEndpoint).toBe('unix:///var/run/cri-dockerd.sock');
  });
});
