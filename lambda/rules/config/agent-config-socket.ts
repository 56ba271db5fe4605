import {
  activeText,
  argoDockerExecutors,
  configEntries,
  signalfxDockerMonitors,
} from '../lib/config-data.ts';
import { perObject } from '../lib/memoise.ts';
import { dockerSocketPathsIn, excerpt, otherRuntimeSocketPathsIn } from '../lib/socket-refs.ts';
import { References } from '../references.ts';
import type { Detection, ObjectRule } from '../rule.ts';
import { Severity } from '../severity.ts';

interface SocketMention {
  key: string;
  path: string;
  line: string;
  besideOtherRuntimes: boolean;
}

/**
 * Docker socket paths named in the active (uncommented) lines of a ConfigMap. A word like
 * "docker" (a log parser's name) is not a mention; only a socket path or URL is. Config that
 * DS020 or DS021 already explains is left to them.
 */
const socketMentions = perObject((configMap: Parameters<ObjectRule['detect']>[0]): SocketMention[] => {
  if (argoDockerExecutors(configMap).length > 0 || signalfxDockerMonitors(configMap).length > 0) return [];
  const mentions: SocketMention[] = [];
  for (const [key, value] of configEntries(configMap)) {
    const text = activeText(value);
    const besideOtherRuntimes = otherRuntimeSocketPathsIn(text).length > 0;
    for (const ref of dockerSocketPathsIn(text)) {
      mentions.push({ key, path: ref.path, line: excerpt(text, ref.raw), besideOtherRuntimes });
    }
  }
  return mentions;
});

function toDetection(mention: SocketMention, beside: string): Detection {
  return {
    message: `The ${mention.key} entry names the Docker socket ${mention.path}${beside}.`,
    evidence: { configKey: mention.key, value: mention.line, hostPath: mention.path },
  };
}

export const agentConfigDockerSocket: ObjectRule = {
  id: 'DS022',
  title: 'Agent configuration names the Docker socket',
  severity: Severity.high,
  target: 'object',
  kinds: ['ConfigMap'],
  rationale:
    'Software configured through this ConfigMap is told to talk to Docker Engine; it breaks, or silently reports nothing, when the node moves to containerd or CRI-O.',
  remediation:
    "Point the setting at the node's CRI socket if the software supports it, or remove the Docker integration, and restart the workloads that mount this ConfigMap.",
  references: [References.agentMigration],
  detect(configMap) {
    return socketMentions(configMap)
      .filter((mention) => !mention.besideOtherRuntimes)
      .map((mention) => toDetection(mention, ''));
  },
};

export const agentConfigMultiRuntime: ObjectRule = {
  id: 'DS023',
  title: 'Agent configuration names the Docker socket beside other runtimes',
  severity: Severity.low,
  target: 'object',
  kinds: ['ConfigMap'],
  rationale:
    'The configuration lists containerd, CRI-O or podman sockets too, so the software finds whichever runtime the node has and keeps working without Docker Engine.',
  remediation: 'Nothing is needed for the move. Once no node runs Docker Engine, drop the Docker entry.',
  references: [References.agentMigration],
  detect(configMap) {
    return socketMentions(configMap)
      .filter((mention) => mention.besideOtherRuntimes)
      .map((mention) => toDetection(mention, ', beside the sockets of other runtimes'));
  },
};
