import { nodeEvidence, nodeRuntimeOf } from '../lib/node-runtime.ts';
import { References } from '../references.ts';
import type { ObjectRule } from '../rule.ts';
import { Severity } from '../severity.ts';

export const nodeRuntimeInventory: ObjectRule = {
  id: 'DS042',
  title: 'Node runs a CRI runtime other than Docker Engine',
  severity: Severity.info,
  target: 'object',
  kinds: ['Node'],
  rationale:
    'Inventory: the node already runs containerd, CRI-O or another CRI runtime. Workloads that need the Docker socket are broken on it.',
  remediation: 'Nothing to do for the node itself.',
  references: [References.findRuntime],
  detect(node) {
    const runtime = nodeRuntimeOf(node);
    if (runtime.dockerEngine || runtime.runtime === 'unknown') return [];
    return [
      {
        message: `Node ${runtime.name} runs ${runtime.runtime} ${runtime.runtimeVersion} (kubelet ${runtime.kubeletVersion || 'version unknown'}).`,
        evidence: nodeEvidence(runtime),
      },
    ];
  },
};
