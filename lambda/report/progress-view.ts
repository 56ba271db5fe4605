import { SEVERITIES_DESCENDING, type Severity } from '../rules/severity.ts';
import { plural } from '../text.ts';
import type { ProgressHistory, ProgressPoint } from './progress.ts';
import { round } from './svg.ts';

/**
 * The progress chart over the last runs, prepared for the templates: two panels on one time
 * axis, nodes on Docker Engine above (a line) and findings by severity below (stacked bars).
 * Runs that could not read every cluster are drawn hollow: their numbers may be low.
 */
export interface ProgressView {
  present: boolean;
  caption: string;
  notes: string[];
  chart: ProgressChart;
  /** The last runs, newest first, for the Markdown table. */
  rows: Array<{ runId: string; date: string; nodesOnDocker: string; counts: number[]; incomplete: boolean }>;
  severities: readonly Severity[];
  /** Runs the Markdown table leaves out. */
  olderRuns: number;
}

export interface ProgressChart {
  width: number;
  height: number;
  left: number;
  right: number;
  nodes: Panel & {
    line: string;
    dots: Array<{ x: number; y: number; incomplete: boolean; title: string }>;
    /** This run's value, written beside its dot. */
    last?: { x: number; y: number; label: string };
  };
  findings: Panel & {
    bars: Array<{
      x: number;
      width: number;
      incomplete: boolean;
      title: string;
      segments: Array<{ severity: Severity; y: number; height: number }>;
    }>;
  };
  xLabels: Array<{ x: number; label: string }>;
  xLabelY: number;
  hasIncomplete: boolean;
}

interface Panel {
  top: number;
  bottom: number;
  title: string;
  titleY: number;
  ticks: Array<{ y: number; label: string }>;
}

const CHART = {
  width: 1000,
  left: 56,
  right: 16,
  nodesTop: 28,
  nodesHeight: 110,
  gap: 46,
  findingsHeight: 130,
};
const TABLE_ROWS = 10;
const MAX_X_LABELS = 8;

export function progressView(history: ProgressHistory | undefined): ProgressView {
  const points = history?.points ?? [];
  const chart = progressChart(points);
  const rows = [...points]
    .reverse()
    .slice(0, TABLE_ROWS)
    .map((point) => ({
      runId: point.runId,
      date: dateLabel(point.generatedAt),
      nodesOnDocker: `${point.nodesOnDocker} of ${point.nodes}`,
      counts: SEVERITIES_DESCENDING.map((severity) => point.bySeverity[severity]),
      incomplete: point.incompleteClusters > 0,
    }));
  return {
    present: points.length > 0,
    caption:
      points.length <= 1
        ? 'This is the first run in the store: the chart starts here.'
        : `The last ${points.length} runs, ${dateLabel(points[0]?.generatedAt ?? '')} to ${dateLabel(points.at(-1)?.generatedAt ?? '')}.`,
    notes: history?.notes ?? [],
    chart,
    rows,
    severities: SEVERITIES_DESCENDING,
    olderRuns: Math.max(0, points.length - TABLE_ROWS),
  };
}

function progressChart(points: readonly ProgressPoint[]): ProgressChart {
  const plotWidth = CHART.width - CHART.left - CHART.right;
  const slot = plotWidth / Math.max(1, points.length);
  const centre = (index: number) => round(CHART.left + slot * (index + 0.5));
  const nodesBottom = CHART.nodesTop + CHART.nodesHeight;
  const findingsTop = nodesBottom + CHART.gap;
  const findingsBottom = findingsTop + CHART.findingsHeight;
  const nodesScale = niceScale(Math.max(0, ...points.map((point) => point.nodesOnDocker)));
  const totals = points.map((point) =>
    SEVERITIES_DESCENDING.reduce((sum, severity) => sum + point.bySeverity[severity], 0),
  );
  const findingsScale = niceScale(Math.max(0, ...totals));
  const yOf = (value: number, bottom: number, height: number, max: number) =>
    round(bottom - (value / max) * height);
  const dots = points.map((point, index) => ({
    x: centre(index),
    y: yOf(point.nodesOnDocker, nodesBottom, CHART.nodesHeight, nodesScale.max),
    incomplete: point.incompleteClusters > 0,
    title: `${dateLabel(point.generatedAt)} · run ${point.runId}: ${point.nodesOnDocker} of ${point.nodes} ${plural(point.nodes, 'node')} on Docker Engine${incompleteNote(point)}`,
  }));
  const lastDot = dots.at(-1);
  const lastPoint = points.at(-1);
  const barWidth = round(Math.min(36, Math.max(2, slot * 0.62)));
  const bars = points.map((point, index) => {
    let bottom = findingsBottom;
    const segments = [...SEVERITIES_DESCENDING]
      .reverse()
      .filter((severity) => point.bySeverity[severity] > 0)
      .map((severity) => {
        const height = round((point.bySeverity[severity] / findingsScale.max) * CHART.findingsHeight);
        bottom = round(bottom - height);
        return { severity, y: bottom, height };
      });
    return {
      x: round(centre(index) - barWidth / 2),
      width: barWidth,
      incomplete: point.incompleteClusters > 0,
      title: `${dateLabel(point.generatedAt)} · run ${point.runId}: ${totals[index]} ${plural(totals[index] ?? 0, 'finding')} (${SEVERITIES_DESCENDING.map((severity) => `${point.bySeverity[severity]} ${severity}`).join(', ')})${incompleteNote(point)}`,
      segments,
    };
  });
  const every = Math.max(1, Math.ceil(points.length / MAX_X_LABELS));
  // Several runs a day: the time tells them apart.
  const days = new Set(points.map((point) => dateLabel(point.generatedAt)));
  // Several in one minute (runs by hand): the seconds too.
  const minutes = new Set(points.map((point) => point.generatedAt.slice(0, 16)));
  const timeEnd = minutes.size < points.length ? 19 : 16;
  const short = (iso: string) =>
    days.size < points.length && /T\d{2}:\d{2}:\d{2}/.test(iso)
      ? `${iso.slice(5, 10)} ${iso.slice(11, timeEnd)}`
      : dateLabel(iso).slice(5);
  const xLabels = points.flatMap((point, index) =>
    index % every === 0 || index === points.length - 1
      ? [{ x: centre(index), label: short(point.generatedAt) }]
      : [],
  );
  // The last label wins a collision with the one before it.
  const spaced = xLabels.filter((label, index) => {
    const next = xLabels[index + 1];
    return next === undefined || next.x - label.x >= (days.size < points.length ? 80 : 44);
  });
  return {
    width: CHART.width,
    height: findingsBottom + 34,
    left: CHART.left,
    right: CHART.width - CHART.right,
    nodes: {
      top: CHART.nodesTop,
      bottom: nodesBottom,
      title: 'Nodes on Docker Engine',
      titleY: CHART.nodesTop - 12,
      ticks: nodesScale.ticks.map((value) => ({
        y: yOf(value, nodesBottom, CHART.nodesHeight, nodesScale.max),
        label: String(value),
      })),
      line: dots.length > 1 ? dots.map((dot) => `${dot.x},${dot.y}`).join(' ') : '',
      dots,
      ...(lastDot &&
        lastPoint && {
          last: {
            x: lastDot.x,
            y: round(lastDot.y - 9),
            label: `${lastPoint.nodesOnDocker} of ${lastPoint.nodes}`,
          },
        }),
    },
    findings: {
      top: findingsTop,
      bottom: findingsBottom,
      title: 'Findings by severity',
      titleY: findingsTop - 12,
      ticks: findingsScale.ticks.map((value) => ({
        y: yOf(value, findingsBottom, CHART.findingsHeight, findingsScale.max),
        label: String(value),
      })),
      bars,
    },
    xLabels: spaced,
    xLabelY: findingsBottom + 20,
    hasIncomplete: points.some((point) => point.incompleteClusters > 0),
  };
}

/** A round top for an axis (1, 2, 5 × 10^n) with four or five ticks from zero. */
export function niceScale(max: number): { max: number; ticks: number[] } {
  if (max <= 0) return { max: 1, ticks: [0, 1] };
  const rough = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  // Counts: never a step below one.
  const step = Math.max(1, ([1, 2, 5, 10].find((factor) => factor * magnitude >= rough) ?? 10) * magnitude);
  const top = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let value = 0; value <= top + step / 2; value += step) ticks.push(Math.round(value));
  return { max: top, ticks };
}

function incompleteNote(point: ProgressPoint): string {
  return point.incompleteClusters > 0
    ? ` (${point.incompleteClusters} of ${point.clusters} ${plural(point.clusters, 'cluster')} not read completely)`
    : '';
}

/** `2026-11-22`. */
function dateLabel(iso: string): string {
  return /^\d{4}-\d{2}-\d{2}/.test(iso) ? iso.slice(0, 10) : iso;
}
