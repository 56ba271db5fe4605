import { describe, expect, test } from 'vitest';
import { decideNotification } from '../../lambda/notify/decide.ts';
import type { ClusterDiff, DiffDocument, Finding } from '../../lambda/report/model.ts';
import { corpusRuns } from '../helpers/notify-fixtures.ts';

const aFinding = (await corpusRuns()).second[0]?.findings[0] as Finding;

/** The no-change diff of two real runs, with one cluster changed by `edit`. */
async function withChange(edit: (cluster: ClusterDiff) => ClusterDiff): Promise<DiffDocument> {
  const { noChange } = await corpusRuns();
  const [first, ...rest] = noChange.clusters;
  if (!first) throw new Error('fixture');
  return { ...noChange, clusters: [edit(first), ...rest] };
}

describe('notify: changes posts when the diff is not empty or a cluster’s status changed', () => {
  test('nothing changed: no message', async () => {
    const { noChange } = await corpusRuns();
    expect(decideNotification(noChange, 'changes').send).toBe(false);
  });

  test.each<[string, (cluster: ClusterDiff) => ClusterDiff]>([
    [
      'a severity changed',
      (cluster) => ({ ...cluster, severityChanged: [{ finding: aFinding, from: 'low' }] }),
    ],
    ['a node left Docker Engine', (cluster) => ({ ...cluster, nodesLeftDocker: ['worker-1'] })],
    ['the cluster could not be read this time', (cluster) => ({ ...cluster, status: 'partial' })],
    ['the cluster can be read again', (cluster) => ({ ...cluster, previousStatus: 'failed' })],
    [
      'the cluster joined the fleet',
      (cluster) => {
        const { previousStatus: _, ...joined } = cluster;
        return joined;
      },
    ],
  ])('%s: a message', async (_name, edit) => {
    const diff = await withChange(edit);
    expect(decideNotification(diff, 'changes')).toMatchObject({ send: true });
  });

  test('new and resolved findings: a message whose reason counts them', async () => {
    const { change } = await corpusRuns();
    expect(decideNotification(change, 'changes')).toEqual({
      send: true,
      reason: '7 new, 7 resolved; 1 of 2 clusters changed',
    });
  });
});
