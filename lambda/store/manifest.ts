import type { ClusterStatus, ManifestLink, Report } from '../report/model.ts';
import type { Artifact } from '../report/render.ts';
import { sha256Hex } from '../sha256.ts';

export type { ManifestLink };

/**
 * The evidence manifest of one run (`manifest.json`): the SHA-256 of every artifact and the
 * hash of the previous run's manifest, so that the stored history is a hash chain in which
 * an edited or deleted artifact, or a run taken out of the middle, shows.
 */
export const MANIFEST_KIND = 'dockershim-audit.manifest';
export const MANIFEST_SCHEMA_VERSION = 1;

export interface ManifestArtifact {
  name: string;
  contentType: string;
  bytes: number;
  sha256: string;
}

export interface RunTimings {
  startedAt: string;
  /** When every cluster had been read and audited. */
  auditedAt: string;
  /** When the artifacts were rendered, just before they were stored. */
  finishedAt: string;
  durationMs: number;
}

export interface RunManifest {
  kind: typeof MANIFEST_KIND;
  schemaVersion: typeof MANIFEST_SCHEMA_VERSION;
  runId: string;
  generatedAt: string;
  tool: Report['tool'];
  identity?: string;
  clusters: Array<{ name: string; status: ClusterStatus; source: string; findings: number }>;
  timings: RunTimings;
  artifacts: ManifestArtifact[];
  /** Absent for the first run of a store: the start of the chain. */
  previous?: ManifestLink;
}

function describeArtifact(artifact: Artifact): ManifestArtifact {
  const bytes = Buffer.byteLength(artifact.body, 'utf8');
  return { name: artifact.name, contentType: artifact.contentType, bytes, sha256: sha256Hex(artifact.body) };
}

export function buildManifest(
  report: Report,
  artifacts: readonly Artifact[],
  run: { timings: RunTimings; previous?: ManifestLink },
): RunManifest {
  const manifest: RunManifest = {
    kind: MANIFEST_KIND,
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    runId: report.runId,
    generatedAt: report.generatedAt,
    tool: report.tool,
    clusters: report.clusters.map((cluster) => ({
      name: cluster.name,
      status: cluster.status,
      source: cluster.source.type,
      findings: cluster.findings.length,
    })),
    timings: run.timings,
    artifacts: artifacts.map(describeArtifact),
  };
  if (report.identity !== undefined) manifest.identity = report.identity;
  if (run.previous) manifest.previous = run.previous;
  return manifest;
}

/** The bytes that are stored and hashed; the next run records their SHA-256. */
export function serialiseManifest(manifest: RunManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

export function timingsOf(startedAt: Date, auditedAt: Date, finishedAt: Date): RunTimings {
  return {
    startedAt: startedAt.toISOString(),
    auditedAt: auditedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
  };
}
