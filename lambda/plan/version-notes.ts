import { PoolStatus } from '../report/migration.ts';
import type { ClusterSourceInfo } from '../report/model.ts';
import { kubeletMinorVersion } from '../rules/lib/node-runtime.ts';
import { plural } from '../text.ts';
import { kubeletVersionsOf, type PlanNode } from './pools.ts';

/** Kubernetes 1.24 removed dockershim from the kubelet. */
export const DOCKERSHIM_REMOVED_IN = 24;

/**
 * What kubelet versions mean for a pool: dockershim ends at 1.24, so a dockershim node cannot be
 * upgraded past 1.23 as it is; cri-dockerd keeps Docker Engine, as a stopgap.
 */
export function poolNotes(nodes: readonly PlanNode[], status: PoolStatus): string[] {
  const notes: string[] = [];
  const dockershim = nodes.filter((node) => node.category === 'dockershim');
  const criDockerd = nodes.filter((node) => node.category === 'cri-dockerd');
  if (dockershim.length > 0) {
    notes.push(
      `${dockershim.length} ${plural(dockershim.length, 'node')} on dockershim (kubelet ${kubeletVersionsOf(dockershim).join(', ') || 'version unknown'}): Kubernetes 1.24 removed dockershim, so ${dockershim.length === 1 ? 'it' : 'they'} must leave Docker Engine before the kubelet goes to 1.24 or later.`,
    );
    const newer = nodes.filter(
      (node) => (kubeletMinorVersion(node.report.kubeletVersion) ?? 0) >= DOCKERSHIM_REMOVED_IN,
    );
    if (newer.length > 0)
      notes.push(
        `The pool already has ${newer.length} ${plural(newer.length, 'node')} at kubelet 1.24 or later: a dockershim node brought to that version as it is stops working, since that kubelet has no dockershim.`,
      );
    if (status === PoolStatus.blocked)
      notes.push(
        'If its blockers cannot be fixed before the kubelet must reach 1.24, move the pool to cri-dockerd first: Docker Engine stays, behind a CRI socket, and the kubelet can be upgraded. That is a stopgap: the move to containerd still follows.',
      );
  }
  if (criDockerd.length > 0)
    notes.push(
      `${criDockerd.length} ${plural(criDockerd.length, 'node')} ${criDockerd.length === 1 ? 'runs' : 'run'} Docker Engine through cri-dockerd (kubelet ${kubeletVersionsOf(criDockerd).join(', ')}): a stopgap maintained outside Kubernetes, which keeps Docker-dependent workloads working until the pool moves to containerd.`,
    );
  const staleAnnotation = nodes.filter(
    (node) =>
      (kubeletMinorVersion(node.report.kubeletVersion) ?? 0) >= DOCKERSHIM_REMOVED_IN &&
      (node.facts.criSocket ?? '').includes('dockershim'),
  );
  if (staleAnnotation.length > 0)
    notes.push(
      `${staleAnnotation.length} ${plural(staleAnnotation.length, 'node')} at kubelet 1.24 or later still ${staleAnnotation.length === 1 ? 'has' : 'have'} a kubeadm cri-socket annotation naming dockershim, which that kubelet does not have: kubeadm upgrades fail there until the annotation names the socket in use.`,
    );
  return notes;
}

/** The control plane's version against its dockershim kubelets: they cannot follow it past 1.23. */
export function clusterNotes(nodes: readonly PlanNode[], source: ClusterSourceInfo): string[] {
  if (source.type !== 'kubernetes' || source.serverVersion === undefined) return [];
  const server = kubeletMinorVersion(source.serverVersion);
  const dockershim = nodes.filter((node) => node.category === 'dockershim');
  if (
    server === undefined ||
    !Number.isFinite(server) ||
    server < DOCKERSHIM_REMOVED_IN ||
    dockershim.length === 0
  )
    return [];
  const oldest = Math.min(
    ...dockershim.map((node) => kubeletMinorVersion(node.report.kubeletVersion) ?? server),
  );
  // Kubelets may be two minor versions older than the API server, three from 1.28 on.
  const allowed = server >= 28 ? 3 : 2;
  const skew =
    server - oldest > allowed
      ? ` Kubelet 1.${oldest} is ${server - oldest} minor versions behind it, more than Kubernetes supports (${allowed}).`
      : '';
  return [
    `The control plane runs ${source.serverVersion}, but ${dockershim.length} ${plural(dockershim.length, 'node')} on dockershim cannot follow it past kubelet 1.23 until they leave Docker Engine.${skew}`,
  ];
}
