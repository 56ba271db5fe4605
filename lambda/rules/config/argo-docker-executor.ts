import { vendorGuidance } from '../agents/agent-catalog.ts';
import { argoDockerExecutors } from '../lib/config-data.ts';
import { References } from '../references.ts';
import type { ObjectRule } from '../rule.ts';
import { Severity } from '../severity.ts';

export const argoDockerExecutor: ObjectRule = {
  id: 'DS020',
  title: 'Argo Workflows runs workflows with the docker executor',
  severity: Severity.high,
  target: 'object',
  kinds: ['ConfigMap'],
  rationale:
    "With the docker executor every workflow pod mounts the node's Docker socket to wait for and collect from its main container; workflows fail on containerd and CRI-O nodes.",
  remediation:
    'Set containerRuntimeExecutor to emissary (the default since Argo Workflows v3.3) and test workflows that rely on docker-executor behaviour (output artifacts from the base layer, for example).',
  references: [References.argoExecutors],
  detect(configMap, { agents }) {
    const agent = vendorGuidance(agents, 'argo-workflows');
    return argoDockerExecutors(configMap).map((executor) => ({
      message: `${executor.configKey} is docker: workflow pods mount the node's Docker socket ${executor.dockerSockPath}.`,
      evidence: { configKey: executor.configKey, value: executor.value, hostPath: executor.dockerSockPath },
      ...(agent && { agent }),
    }));
  },
};
