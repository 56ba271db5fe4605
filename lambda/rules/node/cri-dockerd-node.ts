import { nodeEvidence, nodeRuntimeOf } from '../lib/node-runtime.ts';
import { References } from '../references.ts';
import type { ObjectRule } from '../rule.ts';
import { Severity } from '../severity.ts';

export const criDockerdNode: ObjectRule = {
  id: 'DS041',
  title: 'Node runs Docker Engine through cri-dockerd',
  severity: Severity.medium,
  target: 'object',
  kinds: ['Node'],
  rationale:
    'The node is past dockershim but still runs Docker Engine (through cri-dockerd): workloads that depend on Docker keep working here and will break when the node moves to containerd or CRI-O.',
  remediation:
    "Plan the node's move to containerd or CRI-O once the workloads flagged on it no longer need Docker Engine.",
  references: [References.criDockerd, References.changeRuntimeToContainerd],
  detect(node) {
    const runtime = nodeRuntimeOf(node);
    const annotationNamesCriDockerd = (runtime.criSocketAnnotation ?? '').includes('cri-dockerd');
    const dockerThroughCriDockerd = runtime.dockerEngine && !runtime.dockershim;
    if (!dockerThroughCriDockerd && !(annotationNamesCriDockerd && !runtime.dockerEngine)) return [];
    const evidence = nodeEvidence(runtime);
    return [
      {
        message: dockerThroughCriDockerd
          ? `Node ${runtime.name} runs Docker ${runtime.runtimeVersion} through cri-dockerd (kubelet ${runtime.kubeletVersion}).`
          : `Node ${runtime.name} runs ${runtime.runtime}, but its kubeadm cri-socket annotation names cri-dockerd (${runtime.criSocketAnnotation}).`,
        evidence,
      },
    ];
  },
};
