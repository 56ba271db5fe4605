import { nodeEvidence, nodeRuntimeOf } from '../lib/node-runtime.ts';
import { References } from '../references.ts';
import type { Detection, ObjectRule } from '../rule.ts';
import { Severity } from '../severity.ts';

export const dockershimNode: ObjectRule = {
  id: 'DS040',
  title: 'Node runs Docker Engine through dockershim',
  severity: Severity.high,
  target: 'object',
  kinds: ['Node'],
  rationale:
    'Kubernetes 1.24 removed dockershim from the kubelet: the node cannot be upgraded until it runs containerd, CRI-O, or Docker Engine through cri-dockerd. A kubeadm cri-socket annotation that still names dockershim blocks kubeadm upgrades the same way.',
  remediation:
    "Drain the node and switch its runtime to containerd (or CRI-O), or to cri-dockerd if workloads still need Docker Engine; update the node's kubeadm cri-socket annotation to match.",
  references: [References.changeRuntimeToContainerd, References.migrateToCriDockerd, References.findRuntime],
  detect(node) {
    const runtime = nodeRuntimeOf(node);
    const annotationNamesDockershim = (runtime.criSocketAnnotation ?? '').includes('dockershim');
    if (!runtime.dockershim && !annotationNamesDockershim) return [];
    const evidence = nodeEvidence(runtime);
    const detection: Detection = {
      message: runtime.dockershim
        ? `Node ${runtime.name} runs Docker ${runtime.runtimeVersion} through dockershim (kubelet ${runtime.kubeletVersion || 'version unknown'}); it cannot move to Kubernetes 1.24 or later as it is.`
        : `Node ${runtime.name} runs ${runtime.runtime}, but its kubeadm cri-socket annotation still names dockershim (${runtime.criSocketAnnotation}); kubeadm upgrades fail until it is changed.`,
      evidence,
    };
    return [detection];
  },
};
