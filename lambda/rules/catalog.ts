import { brokenNow } from './cluster/broken-now.ts';
import { agentConfigDockerSocket, agentConfigMultiRuntime } from './config/agent-config-socket.ts';
import { argoDockerExecutor } from './config/argo-docker-executor.ts';
import { configSelectsDocker } from './config/config-selects-docker.ts';
import { signalfxDockerMonitor } from './config/signalfx-docker-monitor.ts';
import { criDockerdNode } from './node/cri-dockerd-node.ts';
import { dockershimNode } from './node/dockershim-node.ts';
import { nodeRuntimeInventory } from './node/node-runtime-inventory.ts';
import type { Rule } from './rule.ts';
import { dockerCliOnHost } from './workload/docker-cli-on-host.ts';
import { dockerEndpointConfig } from './workload/docker-endpoint-config.ts';
import { dockerFilesMount } from './workload/docker-files-mount.ts';
import { dockerLogsBesideCriLogsMount, dockerLogsOnlyMount } from './workload/docker-logs-mount.ts';
import { dockerPassedOnByName } from './workload/docker-passed-on-by-name.ts';
import { dockerSelectedByName } from './workload/docker-selected-by-name.ts';
import { dockerSocketMount } from './workload/docker-socket-mount.ts';
import { dockerSocketParentMount } from './workload/docker-socket-parent-mount.ts';
import { knownAgent } from './workload/known-agent.ts';
import { multiRuntimeSocketMount } from './workload/multi-runtime-socket-mount.ts';
import { ownDockerDaemon } from './workload/own-docker-daemon.ts';

/**
 * Every rule, in id order. Bump RULES_VERSION when a rule's meaning or severity changes, so
 * that a report says which rules produced it and a diff across versions can be explained.
 */
export const RULES_VERSION = '3';

export const RULES: readonly Rule[] = [
  dockerSocketMount,
  dockerSocketParentMount,
  dockerFilesMount,
  dockerEndpointConfig,
  multiRuntimeSocketMount,
  dockerLogsOnlyMount,
  dockerLogsBesideCriLogsMount,
  ownDockerDaemon,
  dockerCliOnHost,
  dockerSelectedByName,
  dockerPassedOnByName,
  argoDockerExecutor,
  signalfxDockerMonitor,
  agentConfigDockerSocket,
  agentConfigMultiRuntime,
  configSelectsDocker,
  knownAgent,
  dockershimNode,
  criDockerdNode,
  nodeRuntimeInventory,
  brokenNow,
];

export function ruleById(id: string): Rule | undefined {
  return RULES.find((rule) => rule.id === id);
}
