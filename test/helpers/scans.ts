import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import { ManifestSource } from '../../lambda/collect/manifest-source.ts';
import { REPORT_FORMATS } from '../../lambda/defaults.ts';
import type { KubeObject } from '../../lambda/kube/objects.ts';
import { runScan, type ScanRequest, type ScanResult } from '../../lambda/pipeline.ts';
import type { ReportStore } from '../../lambda/store/report-store.ts';
import { daemonSet, node, podSpec } from './objects.ts';

/** Writes objects as a `kubectl get -o json` List, the way a user would hand them over. */
export async function writeSnapshot(dir: string, file: string, objects: KubeObject[]): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, file);
  await writeFile(path, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2));
  return path;
}

/** One scan of manifest files through the real pipeline, as the CLI runs it. */
export function scanManifests(
  clusters: Record<string, string[]>,
  store: ReportStore | undefined,
  extra: Partial<ScanRequest> = {},
): Promise<ScanResult> {
  return runScan({
    sources: Object.entries(clusters).map(([name, paths]) => new ManifestSource(name, paths)),
    policy: defaultPolicy(new Date('2026-11-22T00:00:00Z')),
    formats: REPORT_FORMATS,
    ...(store && { store }),
    ...extra,
  });
}

/** A DaemonSet whose one container mounts `hostPath` at the same path. */
function hostPathDaemonSet(name: string, namespace: string, container: string, hostPath: string) {
  return daemonSet(
    name,
    podSpec({
      hostPaths: { host: hostPath },
      containers: [{ name: container, mounts: [{ volume: 'host', at: hostPath }] }],
    }),
    namespace,
  );
}

export const socketAgent = (name: string, namespace = 'monitoring') =>
  hostPathDaemonSet(name, namespace, 'agent', '/var/run/docker.sock');

export const dockerLogReader = (name: string, namespace = 'logging') =>
  hostPathDaemonSet(name, namespace, 'reader', '/var/lib/docker/containers');

export const dockershimNode = (name: string) => node(name, 'docker://20.10.24', 'v1.23.17');
export const containerdNode = (name: string) => node(name, 'containerd://1.7.13', 'v1.28.5');
