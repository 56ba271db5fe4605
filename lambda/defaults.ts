/**
 * Defaults and limits that the configuration (CLI flags, the Lambda's settings, the CDK
 * context) and the engine both need. A leaf: it imports nothing, so that config/ never reaches
 * up into collect/, audit/, report/ or store/ for a number, and every layer reads the same one.
 */

/** Clusters read at once. */
export const DEFAULT_CLUSTER_CONCURRENCY = 4;
/** More clusters at once than this only multiplies memory and API load; fleet mode scales further. */
export const MAX_CLUSTER_CONCURRENCY = 64;

/** A cluster's deadline, connecting and credential plugins included. */
export const DEFAULT_CLUSTER_TIMEOUT_SECONDS = 600;
/** A day: longer than any audit needs, and far below what a timer can hold (2^31 ms, 24.8 days). */
export const MAX_CLUSTER_TIMEOUT_SECONDS = 86_400;

/**
 * The largest answer read, in MiB, counted after gzip is inflated. A page of 500 large objects
 * is a few MB; an answer far past that is a broken proxy or a hostile server, and buffering it
 * (then parsing it, at several times its size) would take the process down with it. At most
 * 256: V8 cannot hold a string much past 512 MB, and the parse needs room besides.
 */
export const RESPONSE_LIMIT_MB = { default: 64, min: 1, max: 256 } as const;

/** SigV4 presigned URLs live at most seven days; links to stored reports never ask for more. */
export const MAX_LINK_SECONDS = 7 * 24 * 3600;
/** A link that expires before anyone can open it is a mistake, not a setting. */
export const MIN_LINK_SECONDS = 60;

/** The renders of a report; `json` is the canonical one and always written. */
export const ReportFormat = { json: 'json', html: 'html', md: 'md' } as const;
export type ReportFormat = (typeof ReportFormat)[keyof typeof ReportFormat];
export const REPORT_FORMATS: readonly ReportFormat[] = ['json', 'html', 'md'];
