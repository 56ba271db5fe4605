import { describe, expect, test } from 'vitest';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import { auditFleet } from '../../lambda/audit/run-fleet.ts';
import type { ClusterSource, CollectionOutcome, ObjectSink } from '../../lambda/collect/cluster-source.ts';
import { node } from '../helpers/objects.ts';

/** A cluster that takes a while to read: enough to watch the runner's concurrency. */
function slowCluster(name: string, tracker: { inFlight: number; peak: number }, fail = false): ClusterSource {
  return {
    name,
    describe: () => ({ type: 'kubernetes', context: name }),
    async collect(sink: ObjectSink): Promise<CollectionOutcome> {
      tracker.inFlight++;
      tracker.peak = Math.max(tracker.peak, tracker.inFlight);
      await new Promise((resolve) => setTimeout(resolve, 30));
      tracker.inFlight--;
      if (fail) throw new Error(`${name} exploded`);
      sink.add(node(`${name}-node`, 'docker://20.10.7', 'v1.22.0'));
      return { status: 'complete' };
    },
  };
}

describe('the fleet runner', () => {
  test('reads clusters concurrently, never more than the bound, and keeps their order', async () => {
    const tracker = { inFlight: 0, peak: 0 };
    const sources = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((name) => slowCluster(name, tracker));
    const reports = await auditFleet(sources, defaultPolicy(), { concurrency: 3 });
    expect(tracker.peak).toBe(3);
    expect(reports.map((report) => report.name)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  });

  test('a cluster whose source throws is failed with the reason; the others are complete', async () => {
    const tracker = { inFlight: 0, peak: 0 };
    const reports = await auditFleet(
      [slowCluster('ok', tracker), slowCluster('bad', tracker, true)],
      defaultPolicy(),
    );
    expect(reports.map((report) => [report.name, report.status])).toEqual([
      ['ok', 'complete'],
      ['bad', 'failed'],
    ]);
    expect(reports[1]?.errors).toEqual([{ source: 'bad', message: 'bad exploded' }]);
    expect(reports[0]?.findings.map((finding) => finding.rule)).toEqual(['DS040']);
  });
});
