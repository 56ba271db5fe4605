import { fileURLToPath } from 'node:url';
import { ManifestSource } from './manifest-source.ts';

export const DEMO_CLUSTER_NAME = 'demo';

/**
 * The bundled demo: a `kubectl get -o json` style snapshot of a mixed cluster built from the
 * vendors' own manifests (see demo/build-demo.ts), with nodes on dockershim, cri-dockerd and
 * containerd and pods placed on them.
 */
export function demoSnapshotPath(): string {
  return (
    process.env.DOCKERSHIM_AUDIT_DEMO ?? fileURLToPath(new URL('../../demo/cluster.json', import.meta.url))
  );
}

export function demoSource(): ManifestSource {
  return new ManifestSource(DEMO_CLUSTER_NAME, [demoSnapshotPath()]);
}
