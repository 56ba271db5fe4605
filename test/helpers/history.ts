import { assembleReport } from '../../lambda/report/assemble.ts';
import type { ClusterReport, Report } from '../../lambda/report/model.ts';
import { saveRun } from '../../lambda/store/publish-run.ts';
import type { ReportStore } from '../../lambda/store/report-store.ts';
import { loadPrevious } from '../../lambda/store/run-history.ts';
import { audit } from './objects.ts';
import { containerdNode, dockershimNode, socketAgent } from './scans.ts';

/** Run ids a day apart from 2026-10-01 on, as the scheduler makes them. */
export function runIdOf(day: number): string {
  const at = new Date(Date.UTC(2026, 9, 1 + day, 3));
  return `${at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')}-${day.toString(16).padStart(6, '0')}`;
}

/** A run of one cluster with `docker` of `total` nodes still on Docker Engine. */
export function reportOf(
  day: number,
  docker: number,
  total: number,
  status: ClusterReport['status'] = 'complete',
): Report {
  const nodes = Array.from({ length: total }, (_, index) =>
    index < docker ? dockershimNode(`node-${index}`) : containerdNode(`node-${index}`),
  );
  const cluster = { ...audit([...nodes, socketAgent('agent')]), name: 'prod', status };
  return assembleReport([cluster], {
    runId: runIdOf(day),
    generatedAt: new Date(Date.UTC(2026, 9, 1 + day, 3)),
    toolVersion: '0.1.0',
    rulesVersion: '1',
  });
}

/** Stores runs as the pipeline does (report.json, manifest, pointers), through saveRun. */
export async function storeRuns(store: ReportStore, reports: readonly Report[]): Promise<void> {
  for (const report of reports) {
    const previous = await loadPrevious(store, ['prod']);
    await saveRun(store, {
      report,
      artifacts: [{ name: 'report.json', contentType: 'application/json', body: JSON.stringify(report) }],
      previous,
      timings: {
        startedAt: report.generatedAt,
        auditedAt: report.generatedAt,
        finishedAt: report.generatedAt,
        durationMs: 0,
      },
    });
  }
}
