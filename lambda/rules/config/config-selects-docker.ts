import { configEntries } from '../lib/config-data.ts';
import { configKeySelections } from '../lib/runtime-selection.ts';
import { References } from '../references.ts';
import type { ObjectRule } from '../rule.ts';
import { Severity } from '../severity.ts';

export const configSelectsDocker: ObjectRule = {
  id: 'DS024',
  title: 'Configuration selects Docker Engine by name',
  severity: Severity.high,
  target: 'object',
  kinds: ['ConfigMap'],
  rationale:
    "A ConfigMap key chooses Docker as the container runtime (Cilium's container-runtime: docker, or CONTAINER_RUNTIME: docker read through envFrom); the software configured by it uses Docker Engine and breaks when the node leaves Docker.",
  remediation:
    "Set the key to the node's CRI runtime (containerd or crio) or to automatic detection, and restart the workloads that read this ConfigMap.",
  references: [References.agentMigration],
  detect(configMap) {
    return configKeySelections(configEntries(configMap)).map(({ key, value, selector }) => ({
      message: `The ${key} entry selects Docker Engine by name (${key}: ${value}); ${selector.products.join(', ')} read it.`,
      evidence: { configKey: key, value },
    }));
  },
};
