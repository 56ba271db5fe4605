import { parse as parseYaml } from 'yaml';
import { asArray, isRecord, type KubeObject } from '../../kube/objects.ts';
import { perObject } from './memoise.ts';

/** The string entries of a ConfigMap's `data`; binaryData is never read. */
export function configEntries(configMap: KubeObject): Array<[key: string, value: string]> {
  if (!isRecord(configMap.data)) return [];
  return Object.entries(configMap.data).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );
}

/** Config text without comment lines: a commented-out socket path is documentation, not configuration. */
export function activeText(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^\s*(?:#|\/\/|;)/.test(line))
    .join('\n');
}

/** Parses an entry as YAML (which covers JSON); undefined when it is not structured config. */
export function parseStructured(text: string): unknown {
  try {
    return parseYaml(text, { logLevel: 'silent', maxAliasCount: 100 });
  } catch {
    return undefined;
  }
}

export const ARGO_DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

export interface ArgoDockerExecutor {
  configKey: string;
  value: string;
  dockerSockPath: string;
}

/**
 * Argo Workflows' controller config: flat keys in `data` (v2.7+), or one YAML document under
 * `data.config` (older). `containerRuntimeExecutor: docker` selects the docker executor for
 * every workflow; `containerRuntimeExecutors` can select it for labelled workflows.
 */
export const argoDockerExecutors = perObject((configMap: KubeObject): ArgoDockerExecutor[] => {
  const settings: Record<string, unknown> = {};
  for (const [key, value] of configEntries(configMap)) {
    if (key === 'config') {
      const parsed = parseStructured(value);
      if (isRecord(parsed)) Object.assign(settings, parsed);
    } else {
      settings[key] = value;
    }
  }
  const sockPath = typeof settings.dockerSockPath === 'string' ? settings.dockerSockPath.trim() : '';
  const dockerSockPath = sockPath || ARGO_DEFAULT_DOCKER_SOCKET;
  const found: ArgoDockerExecutor[] = [];
  const executor = settings.containerRuntimeExecutor;
  if (typeof executor === 'string' && executor.trim() === 'docker') {
    found.push({ configKey: 'containerRuntimeExecutor', value: 'docker', dockerSockPath });
  }
  const executors =
    typeof settings.containerRuntimeExecutors === 'string'
      ? parseStructured(settings.containerRuntimeExecutors)
      : settings.containerRuntimeExecutors;
  asArray<unknown>(executors).forEach((entry, index) => {
    if (isRecord(entry) && entry.name === 'docker') {
      found.push({ configKey: `containerRuntimeExecutors[${index}]`, value: 'docker', dockerSockPath });
    }
  });
  return found;
});

export const SIGNALFX_DOCKER_MONITORS = new Set(['docker-container-stats', 'collectd/docker']);
export const SIGNALFX_DEFAULT_DOCKER_URL = 'unix:///var/run/docker.sock';

export interface SignalfxDockerMonitor {
  configKey: string;
  type: string;
  dockerURL: string;
}

/** SignalFx Smart Agent config (agent.yaml): monitors that read Docker Engine's API. Parsed once per ConfigMap. */
export const signalfxDockerMonitors = perObject((configMap: KubeObject): SignalfxDockerMonitor[] => {
  const found: SignalfxDockerMonitor[] = [];
  for (const [key, value] of configEntries(configMap)) {
    const parsed = parseStructured(value);
    if (isRecord(parsed) && Array.isArray(parsed.monitors)) {
      parsed.monitors.forEach((monitor, index) => {
        if (
          !isRecord(monitor) ||
          typeof monitor.type !== 'string' ||
          !SIGNALFX_DOCKER_MONITORS.has(monitor.type)
        )
          return;
        const dockerURL =
          typeof monitor.dockerURL === 'string' ? monitor.dockerURL : SIGNALFX_DEFAULT_DOCKER_URL;
        found.push({ configKey: `${key}: monitors[${index}]`, type: monitor.type, dockerURL });
      });
      continue;
    }
    // Templated agent.yaml that is not valid YAML: fall back to the monitor line itself.
    for (const match of activeText(value).matchAll(
      /^\s*-?\s*type:\s*["']?(docker-container-stats|collectd\/docker)\b/gm,
    )) {
      found.push({ configKey: key, type: match[1] ?? '', dockerURL: SIGNALFX_DEFAULT_DOCKER_URL });
    }
  }
  return found;
});
