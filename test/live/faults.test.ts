import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { auditLive, demoCluster } from '../helpers/live.ts';
import type { ApiServerSimulator } from '../simulator/api-server.ts';

let simulator: ApiServerSimulator;
let kubeconfig: string;
let baseline: string[];

beforeAll(async () => {
  ({ simulator, kubeconfig } = await demoCluster());
  baseline = (await auditLive(kubeconfig)).findings.map((finding) => finding.id).sort();
});
afterEach(() => simulator.clearFaults());
afterAll(() => simulator.close());

const ids = (report: { findings: { id: string }[] }) => report.findings.map((finding) => finding.id).sort();

describe('listing survives what real API servers do', () => {
  test('pages with limit/continue, and the page size is honoured', async () => {
    const before = simulator.listRequests('/api/v1/pods').length;
    const report = await auditLive(kubeconfig, { pageSize: 7 });
    const requests = simulator.listRequests('/api/v1/pods').slice(before);
    expect(requests).toHaveLength(7);
    expect(requests.every((request) => request.query.get('limit') === '7')).toBe(true);
    expect(requests.slice(1).every((request) => request.query.has('continue'))).toBe(true);
    expect(report.objects.Pod).toBe(49);
    expect(ids(report)).toEqual(baseline);
  });

  test('410 Gone in the middle of a list restarts that list: complete, nothing counted twice', async () => {
    simulator.inject({ path: '/api/v1/pods', page: 3, action: { type: 'gone' } });
    const before = simulator.listRequests('/api/v1/pods').length;
    const report = await auditLive(kubeconfig, { pageSize: 10 });
    const starts = simulator
      .listRequests('/api/v1/pods')
      .slice(before)
      .filter((request) => !request.query.has('continue'));
    expect(starts).toHaveLength(2);
    expect(report.status).toBe('complete');
    expect(report.objects.Pod).toBe(49);
    expect(ids(report)).toEqual(baseline);
  });

  test('429 waits as long as Retry-After says', async () => {
    simulator.inject({
      path: '/apis/apps/v1/daemonsets',
      action: { type: 'status', status: 429, retryAfter: '1' },
    });
    const before = simulator.listRequests('/apis/apps/v1/daemonsets').length;
    const report = await auditLive(kubeconfig);
    const [throttled, retried] = simulator.listRequests('/apis/apps/v1/daemonsets').slice(before);
    expect(report.status).toBe('complete');
    expect((retried?.at ?? 0) - (throttled?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  test.each([
    ['a 500', { type: 'status', status: 500 } as const],
    ['a reset connection', { type: 'reset' } as const],
    ['malformed JSON', { type: 'malformed' } as const],
    ['a slow answer', { type: 'delay', ms: 300 } as const],
  ])('%s is survived and the cluster is complete', async (_, action) => {
    simulator.inject({ path: '/api/v1/pods', page: 0, times: 2, action });
    const report = await auditLive(kubeconfig, { pageSize: 20 });
    expect(report.status).toBe('complete');
    expect(ids(report)).toEqual(baseline);
  });

  test('a hung answer times out, is retried, and gives up with a reason: partial, the rest still read', async () => {
    simulator.inject({ path: '/api/v1/pods', times: 10, action: { type: 'hang' } });
    const report = await auditLive(kubeconfig, {
      retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 5, maxRetryAfterMs: 1000, requestTimeoutMs: 300 },
    });
    expect(report.status).toBe('partial');
    expect(report.errors).toEqual([
      { source: 'list pods (v1)', message: expect.stringContaining('no answer within') },
    ]);
    expect(report.objects.DaemonSet).toBe(8);
    expect(report.findings.some((finding) => finding.rule === 'DS040')).toBe(true);
  });

  test('403 on one kind: partial, with what could not be read and why; everything else is audited', async () => {
    simulator.inject({
      path: '/apis/apps/v1/daemonsets',
      action: {
        type: 'status',
        status: 403,
        message: 'daemonsets.apps is forbidden: User "auditor" cannot list resource "daemonsets"',
      },
    });
    const report = await auditLive(kubeconfig);
    expect(report.status).toBe('partial');
    expect(report.errors[0]?.source).toBe('list daemonsets (apps/v1)');
    expect(report.errors[0]?.message).toContain('cannot list resource "daemonsets"');
    expect(report.errors[0]?.message).toContain('deploy/rbac.yaml');
    // DaemonSet pods still show their owners' problems.
    expect(report.workloads.some((workload) => workload.resource.name === 'weave-scope-agent')).toBe(true);
  });

  test("the cluster's deadline stops the read: partial, never a hang", async () => {
    simulator.inject({ path: '/api/v1/pods', times: 50, action: { type: 'delay', ms: 400 } });
    const started = Date.now();
    const report = await auditLive(kubeconfig, { deadlineMs: 600, pageSize: 5 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(report.status).toBe('partial');
    expect(report.errors.map((error) => error.message).join(' ')).toContain("cluster's deadline");
  });

  test('5xx that never stops: bounded retries, then partial with the status', async () => {
    simulator.inject({ path: '/apis/batch/v1/jobs', times: 100, action: { type: 'status', status: 503 } });
    const report = await auditLive(kubeconfig);
    expect(report.status).toBe('partial');
    expect(report.errors[0]?.message).toMatch(/HTTP 503/);
    expect(
      simulator.listRequests('/apis/batch/v1/jobs').filter((r) => r.status === 503).length,
    ).toBeLessThanOrEqual(4);
  });
});
