import { guidanceOf, matchAgent } from '../agents/agent-catalog.ts';
import { References } from '../references.ts';
import type { WorkloadRule } from '../rule.ts';
import { Severity } from '../severity.ts';

export const knownAgent: WorkloadRule = {
  id: 'DS030',
  title: 'Known telemetry or security agent',
  severity: Severity.info,
  target: 'workload',
  contextForWorkload: true,
  rationale:
    "The workload matches a vendor's agent in the catalog. Its guidance is attached to the workload's findings; this finding stands alone only when nothing else was found, as a reminder to check the vendor's advice.",
  remediation: "Follow the vendor's guidance for containerd and CRI-O nodes.",
  references: [References.agentMigration],
  detect({ view, names }, { agents }) {
    const images = view.containers.map((container) => container.image);
    const agent = matchAgent(agents, names, images);
    if (!agent) return [];
    return [
      {
        message: `Recognised as ${agent.product} (${agent.vendor}).`,
        evidence: { image: images.find(Boolean) ?? '' },
        agent: guidanceOf(agent),
      },
    ];
  },
};
