import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { auditLive, demoCluster, demoCount, FAST_RETRY } from '../helpers/live.ts';
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
    expect(report.objects.Pod).toBe(demoCount('Pod'));
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
    expect(report.objects.Pod).toBe(demoCount('Pod'));
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

describe('an answer too large to be a page is refused while it is read, not after', () => {
  const MIB = 1024 * 1024;
  const limit = 8 * MIB;
  // Reading up to the limit keeps the client busy: on a loaded machine, more than FAST_RETRY's
  // 2 s between chunks. A timeout would be retried and hide what is tested here.
  const patient = { retry: { ...FAST_RETRY, requestTimeoutMs: 60_000 } };

  test.each([
    [
      'a 1 GB body, chunked',
      { type: 'huge', bytes: 1024 * MIB } as const,
      'larger than 8 MiB; it was not read',
    ],
    [
      'a 1 GB body with its Content-Length',
      { type: 'huge', bytes: 1024 * MIB, declared: true } as const,
      'larger than 8 MiB; it was not read',
    ],
    [
      'a gzip body of 2 MB that inflates to 2 GB',
      { type: 'gzipBomb', inflatedBytes: 2048 * MIB } as const,
      'larger than 8 MiB once gzip is inflated',
    ],
  ])(
    '%s: that list fails once, without retries; the cluster is partial and the rest is audited',
    async (_, action, message) => {
      simulator.inject({ path: '/api/v1/pods', times: 10, action });
      const before = simulator.listRequests('/api/v1/pods').length;
      const report = await auditLive(kubeconfig, { ...patient, maxResponseBytes: limit });
      const requests = simulator.listRequests('/api/v1/pods').slice(before);
      expect(report.status).toBe('partial');
      expect(report.errors).toEqual([
        { source: 'list pods (v1)', message: expect.stringContaining(message) },
      ]);
      expect(report.errors[0]?.message).toContain('--max-response-mb');
      expect(requests).toHaveLength(1);
      // The client stopped reading near the limit: the server could not push the gigabyte.
      expect(requests[0]?.bytesSent ?? 0).toBeLessThan(4 * limit);
      expect(report.objects.DaemonSet).toBe(8);
      expect(report.findings.some((finding) => finding.rule === 'DS040')).toBe(true);
    },
  );

  test('an answer just under the limit is read as usual', async () => {
    simulator.inject({ path: '/api/v1/pods', action: { type: 'huge', bytes: limit - 1024 } });
    const report = await auditLive(kubeconfig, { ...patient, maxResponseBytes: limit });
    expect(report.errors).toEqual([]);
    expect(report.status).toBe('complete');
  });

  test('the default limit holds without any setting', async () => {
    simulator.inject({
      path: '/apis/apps/v1/daemonsets',
      action: { type: 'gzipBomb', inflatedBytes: 1024 * MIB },
    });
    const report = await auditLive(kubeconfig, patient);
    expect(report.status).toBe('partial');
    expect(report.errors[0]?.message).toContain('larger than 64 MiB once gzip is inflated');
  });
});

describe('answers that are not what Kubernetes sends are named, never read as empty', () => {
  test.each([
    [
      '/version answering null',
      '/version',
      'null',
      'failed',
      'GET /version: the answer is null, not a version object',
    ],
    [
      '/version answering a list',
      '/version',
      '[1]',
      'failed',
      'GET /version: the answer is a list, not a version object',
    ],
    ['a list answering null', '/api/v1/pods', 'null', 'partial', 'the answer is not a list but null'],
    [
      'a list without items',
      '/api/v1/pods',
      '{"kind":"PodList"}',
      'partial',
      'the answer is not a list but a mapping without an items list',
    ],
  ])('%s', async (_, path, body, status, message) => {
    simulator.inject({ path, action: { type: 'body', body } });
    const report = await auditLive(kubeconfig);
    expect(report.status).toBe(status);
    expect(report.errors.map((error) => error.message).join('\n')).toContain(message);
  });

  test('items that are not objects are counted as not audited', async () => {
    simulator.inject({
      path: '/apis/apps/v1/daemonsets',
      action: { type: 'body', body: '{"kind":"DaemonSetList","metadata":{},"items":[1,"x",null]}' },
    });
    const report = await auditLive(kubeconfig);
    expect(report.status).toBe('partial');
    expect(report.errors).toEqual([
      {
        source: 'list daemonsets (apps/v1)',
        message: '3 items of a page are not objects and were not audited',
      },
    ]);
  });
});
