import { vendorGuidance } from '../agents/agent-catalog.ts';
import { signalfxDockerMonitors } from '../lib/config-data.ts';
import { normalisePath } from '../lib/host-paths.ts';
import { References } from '../references.ts';
import type { Evidence, ObjectRule } from '../rule.ts';
import { Severity } from '../severity.ts';

export const signalfxDockerMonitor: ObjectRule = {
  id: 'DS021',
  title: 'SignalFx Smart Agent reads container stats from Docker Engine',
  severity: Severity.high,
  target: 'object',
  kinds: ['ConfigMap'],
  rationale:
    'The docker-container-stats monitor talks to the Docker socket. Splunk says it must not be used with other runtimes: it reports wrong metrics when Docker is installed beside them and none when it is not.',
  remediation:
    'Remove the docker-container-stats monitor and enable the kubelet-metrics monitor; review dashboards and alerts, since metric names change.',
  references: [References.signalfxKubeletMetrics, References.agentMigration],
  detect(configMap, { agents }) {
    const agent = vendorGuidance(agents, 'signalfx-agent');
    return signalfxDockerMonitors(configMap).map((monitor) => {
      const evidence: Evidence = {
        configKey: monitor.configKey,
        value: monitor.type,
        endpoint: monitor.dockerURL,
      };
      if (monitor.dockerURL.startsWith('unix://'))
        evidence.hostPath = normalisePath(monitor.dockerURL.slice(7));
      return {
        message: `The ${monitor.type} monitor reads Docker Engine at ${monitor.dockerURL}.`,
        evidence,
        ...(agent && { agent }),
      };
    });
  },
};
