import type { AuditPolicy } from './audit/policy.ts';
import { isExpired } from './audit/policy.ts';
import { auditFleet } from './audit/run-fleet.ts';
import type { ClusterSource } from './collect/cluster-source.ts';
import { assembleReport, newRunId } from './report/assemble.ts';
import type { Report } from './report/model.ts';
import { type Artifact, type ReportFormat, renderReport } from './report/render.ts';
import { writeArtifacts } from './store/write-artifacts.ts';
import { RULES_VERSION, TOOL_VERSION } from './version.ts';

/**
 * The one pipeline both entries run: collect and detect per cluster, assemble the report,
 * render it, write it. Entries only turn their input (flags, an event) into a request.
 */
export interface ScanRequest {
  sources: readonly ClusterSource[];
  policy: AuditPolicy;
  formats: readonly ReportFormat[];
  /** Folder for the rendered report; nothing is written without one. */
  outDir?: string;
  identity?: string;
  concurrency?: number;
  now?: () => Date;
  onProgress?: (cluster: string, message: string) => void;
}

export interface ScanResult {
  report: Report;
  artifacts: Artifact[];
  /** Paths written under outDir. */
  written: string[];
}

export async function runScan(request: ScanRequest): Promise<ScanResult> {
  const now = request.now ?? (() => new Date());
  const startedAt = now();
  const clusters = await auditFleet(request.sources, request.policy, {
    ...(request.concurrency !== undefined && { concurrency: request.concurrency }),
    ...(request.onProgress && { onProgress: request.onProgress }),
  });
  const report = assembleReport(clusters, {
    runId: newRunId(startedAt),
    generatedAt: startedAt,
    toolVersion: TOOL_VERSION,
    rulesVersion: RULES_VERSION,
    ...(request.identity !== undefined && { identity: request.identity }),
    warnings: policyWarnings(request.policy),
  });
  const artifacts = await renderReport(report, request.formats);
  const written = request.outDir === undefined ? [] : await writeArtifacts(request.outDir, artifacts);
  return { report, artifacts, written };
}

function policyWarnings(policy: AuditPolicy): string[] {
  return policy.exemptions
    .filter((exemption) => isExpired(exemption, policy.now))
    .map(
      (exemption) =>
        `An exemption (${[exemption.rule, exemption.resource, exemption.cluster, exemption.findingId].filter(Boolean).join(' ')}) expired on ${exemption.expires}; its findings count again.`,
    );
}
