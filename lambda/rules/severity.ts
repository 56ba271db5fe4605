export const Severity = {
  info: 'info',
  low: 'low',
  medium: 'medium',
  high: 'high',
  critical: 'critical',
} as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

export interface SeverityMeaning {
  /** A few words beside a count (the report's legend): `broken now`. */
  short: string;
  /** A group's heading after the severity's name: `High: breaks when its nodes leave Docker Engine`. */
  headline: string;
  /** What it means for the workload, with examples (Markdown): the severity tables of README and docs. */
  meaning: string;
}

/**
 * What a finding of each severity means for the workload: the one place it is written. The
 * report's legend and headings, README's and docs/rules.md's tables are made from it.
 */
export const SEVERITY_MEANINGS: Readonly<Record<Severity, SeverityMeaning>> = {
  critical: {
    short: 'broken now',
    headline: 'broken now',
    meaning:
      'depends on Docker Engine and already runs on a node without it: broken now (with a hostPath of type `Socket`, its pods cannot even start there)',
  },
  high: {
    short: 'breaks without Docker',
    headline: 'breaks when its nodes leave Docker Engine',
    meaning:
      "depends on Docker Engine (its socket, the dockershim or cri-dockerd socket, the Windows pipe, a `DOCKER_HOST` or config pointing at the node's Docker, a setting that selects `docker` as the runtime); breaks when its node leaves Docker",
  },
  medium: {
    short: 'needs a look',
    headline: 'can reach Docker Engine, needs a look',
    meaning:
      "can reach Docker Engine or its files and needs a look: a parent directory of the socket (`/`, `/var`, `/run`, `/var/run`), Docker's data root, Docker's log directory alone",
  },
  low: {
    short: 'keeps working',
    headline: 'Docker-related, keeps working without it',
    meaning:
      "Docker-related but keeps working without Docker Engine: agents that mount other runtimes' sockets too, their own docker-in-docker daemon, Docker log mounts (or a read-only `/var/lib`) beside the CRI log paths",
  },
  info: {
    short: 'context',
    headline: 'context',
    meaning: "context: a known agent with its vendor's guidance, the node runtime inventory",
  },
};

/** `High: breaks when its nodes leave Docker Engine`: the heading of a group of findings. */
export function severityHeading(severity: Severity): string {
  return `${severity.charAt(0).toUpperCase()}${severity.slice(1)}: ${SEVERITY_MEANINGS[severity].headline}`;
}

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
