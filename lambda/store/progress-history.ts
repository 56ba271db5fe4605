import { forEachLimit } from '../concurrency.ts';
import { describeError } from '../errors.ts';
import { isRecord } from '../kube/objects.ts';
import type { Report } from '../report/model.ts';
import { type ProgressHistory, type ProgressPoint, progressPointOf } from '../report/progress.ts';
import { SEVERITIES } from '../rules/severity.ts';
import type { ReportStore } from './report-store.ts';
import { MANIFEST_NAME, parseJsonBytes, runFolders, runKey } from './run-history.ts';

/** How many runs the progress chart shows, this one included: about seven weeks of nightly runs. */
export const HISTORY_RUNS = 50;
/** Stored reports read at once: each is parsed and dropped, so memory follows this, not the history. */
const READ_CONCURRENCY = 4;

/**
 * The progress of the last runs, for the chart: the stored runs before this one (each read from
 * its own report.json, at most `limit - 1` of them), then this run. Never throws: a store that
 * cannot be listed, a report that cannot be read or is not this tool's leaves a note and the
 * chart goes on without it. Runs whose manifest is missing never finished storing and are left out.
 */
export async function loadProgress(
  store: ReportStore,
  current: Pick<Report, 'runId' | 'generatedAt' | 'summary'>,
  limit = HISTORY_RUNS,
): Promise<ProgressHistory> {
  const notes: string[] = [];
  const here = progressPointOf(current);
  let runs: Map<string, string[]>;
  try {
    runs = await runFolders(store);
  } catch (error) {
    return {
      points: [here],
      notes: [
        `The earlier runs in ${store.location} could not be listed (${describeError(error)}); the chart shows this run only.`,
      ],
    };
  }
  // Run ids sort by the second a run started; runs of one second are put in order by their times below.
  const others = [...runs].filter(([runId]) => runId !== current.runId);
  const stored = others
    .filter(([, names]) => names.includes('report.json') && names.includes(MANIFEST_NAME))
    .map(([runId]) => runId)
    .sort();
  const unfinished = others.filter(([, names]) => !names.includes(MANIFEST_NAME));
  if (unfinished.length > 0)
    notes.push(
      `${unfinished.length} earlier ${unfinished.length === 1 ? 'run has' : 'runs have'} no manifest (storing did not finish) and ${unfinished.length === 1 ? 'is' : 'are'} left out of the chart.`,
    );
  const chosen = stored.slice(Math.max(0, stored.length - Math.max(0, limit - 1)));
  if (chosen.length < stored.length)
    notes.push(`The chart shows the last ${chosen.length + 1} of ${stored.length + 1} runs.`);
  const points: Array<ProgressPoint | undefined> = new Array(chosen.length);
  await forEachLimit(chosen, READ_CONCURRENCY, async (runId, index) => {
    const key = runKey(runId, 'report.json');
    try {
      const bytes = await store.get(key);
      if (bytes === undefined) {
        notes.push(`${key} is gone; that run is left out of the chart.`);
        return;
      }
      const report = parseJsonBytes(bytes);
      if (report === undefined) {
        notes.push(`${key} is not valid JSON; that run is left out of the chart.`);
        return;
      }
      if (!hasSummary(report) || report.runId !== runId) {
        notes.push(`${key} is not a report this tool wrote; that run is left out of the chart.`);
        return;
      }
      points[index] = progressPointOf(report);
    } catch (error) {
      notes.push(`${key} could not be read (${describeError(error)}); that run is left out of the chart.`);
    }
  });
  const read = points.filter((point): point is ProgressPoint => point !== undefined);
  return {
    points: [...read, here].sort(
      (a, b) => a.generatedAt.localeCompare(b.generatedAt) || a.runId.localeCompare(b.runId),
    ),
    notes: notes.sort(),
  };
}

const count = (value: unknown): boolean => typeof value === 'number' && Number.isInteger(value) && value >= 0;

/** Enough of report.json for a point: its id, time and summary counts. */
function hasSummary(value: unknown): value is Pick<Report, 'runId' | 'generatedAt' | 'summary'> {
  if (!isRecord(value) || typeof value.runId !== 'string' || typeof value.generatedAt !== 'string')
    return false;
  const summary = value.summary;
  if (!isRecord(summary) || !count(summary.nodesOnDocker)) return false;
  const { bySeverity, nodes, clusters } = summary;
  return (
    isRecord(bySeverity) &&
    SEVERITIES.every((severity) => count(bySeverity[severity])) &&
    isRecord(nodes) &&
    count(nodes.total) &&
    isRecord(clusters) &&
    count(clusters.complete) &&
    count(clusters.partial) &&
    count(clusters.failed)
  );
}
