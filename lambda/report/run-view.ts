import type { DiffDocument, ManifestLink, Report } from './model.ts';

/** The run's facts and the evidence footer (partials/footer.hbs). */

export interface EvidenceView {
  artifacts: Array<{ name: string; sha256: string }>;
  previousManifest?: ManifestLink;
}

/** One line of the run's facts in the footer. */
export interface RunRow {
  label: string;
  value: string;
}

export function runRows(report: Report, diff: DiffDocument | undefined): RunRow[] {
  const rows = [
    { label: 'Run', value: report.runId },
    { label: 'Generated', value: timeLabel(report.generatedAt) },
    { label: 'Tool', value: `${report.tool.name} ${report.tool.version}` },
    { label: 'Rules version', value: report.tool.rulesVersion },
  ];
  if (report.identity !== undefined) rows.push({ label: 'Run by', value: report.identity });
  rows.push({
    label: 'Compared with',
    value: diff?.previousRunId !== undefined ? `run ${diff.previousRunId}` : 'nothing (baseline)',
  });
  return rows;
}

/** `2026-11-22 03:00 UTC`: the report is read in many time zones. */
export function timeLabel(iso: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : iso;
}
