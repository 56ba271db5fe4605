/**
 * What a finding means for the workload (DESIGN.md):
 * - critical: depends on Docker Engine and already runs on a node without it (broken now)
 * - high: depends on Docker Engine; breaks when its node leaves Docker
 * - medium: can reach Docker Engine or its files and needs a look
 * - low: Docker-related but keeps working without Docker Engine
 * - info: context (known agent with vendor guidance, node runtime inventory)
 */
export const Severity = {
  info: 'info',
  low: 'low',
  medium: 'medium',
  high: 'high',
  critical: 'critical',
} as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

/** Lowest first. */
export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];
/** Highest first: the order people read counts and verdicts in. */
export const SEVERITIES_DESCENDING: readonly Severity[] = [...SEVERITIES].reverse();

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function atLeast(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) >= severityRank(threshold);
}

export function highest(severities: Iterable<Severity>): Severity | undefined {
  let top: Severity | undefined;
  for (const severity of severities) if (!top || severityRank(severity) > severityRank(top)) top = severity;
  return top;
}

export function emptySeverityCounts(): Record<Severity, number> {
  return { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
}

/** `1 critical, 2 high`, or `none`: the counts above zero, highest first. */
export function severityBreakdown(counts: Record<Severity, number>): string {
  const parts = SEVERITIES_DESCENDING.filter((severity) => counts[severity] > 0).map(
    (severity) => `${counts[severity]} ${severity}`,
  );
  return parts.length > 0 ? parts.join(', ') : 'none';
}
