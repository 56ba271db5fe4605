import type { KubeObject, ResourceRef } from '../kube/objects.ts';
import type { AgentCatalog, AgentGuidance } from './agents/agent-catalog.ts';
import type { WorkloadView } from './lib/workload-view.ts';
import type { Severity } from './severity.ts';

/**
 * What a finding points at. `hostPath` is the node path (normalised, subPath applied) and is
 * the evidence whenever there is one; the rest says how the workload reaches it.
 */
export interface Evidence {
  hostPath?: string;
  /** The volume's hostPath when a subPath narrowed it to `hostPath`. */
  volumeHostPath?: string;
  subPath?: string;
  mountPath?: string;
  /** The hostPath volume's `type`: with `Socket` the pod cannot start where the socket is missing. */
  hostPathType?: string;
  readOnly?: boolean;
  /** `NAME=value` of the environment variable that names the endpoint. */
  env?: string;
  /** The command-line argument that names the endpoint. */
  arg?: string;
  /** A Docker endpoint that is not a node path (tcp://...). */
  endpoint?: string;
  image?: string;
  /** ConfigMap key (and, for structured config, the setting) that names Docker. */
  configKey?: string;
  value?: string;
  node?: string;
  /** Nodes a finding was observed on (broken-now findings), at most 20; nodeCount has the total. */
  nodes?: string[];
  nodeCount?: number;
  runtime?: string;
  kubeletVersion?: string;
  annotation?: string;
  /** containerRuntimeEndpoint from the kubelet's configz (read only when enabled). */
  kubeletRuntimeEndpoint?: string;
}

/** One thing a rule found. The rule supplies id, title, severity, remediation and references. */
export interface Detection {
  message: string;
  container?: string;
  evidence: Evidence;
  /** Set by rules that identify a vendor's agent; the engine attaches it to the workload's findings. */
  agent?: AgentGuidance;
  /** Cluster rules name the resource themselves; workload and object rules get it from the engine. */
  resource?: ResourceRef;
}

export interface RuleMeta {
  /** Stable id, e.g. `DS001`. Never reused for a different meaning. */
  id: string;
  title: string;
  severity: Severity;
  /** One sentence: why this matters for a move away from Docker Engine. */
  rationale: string;
  remediation: string;
  references: readonly string[];
  /**
   * The rule gives context, not a problem (a recognised vendor agent): the engine attaches its
   * finding's guidance to the workload's other findings, and keeps the finding itself only where
   * the workload has nothing else to show.
   */
  contextForWorkload?: true;
}

export interface RuleContext {
  agents: AgentCatalog;
}

/** A rule over one pod spec (a Pod, or the template of any controller). */
export interface WorkloadRule extends RuleMeta {
  target: 'workload';
  detect(workload: WorkloadSubject, context: RuleContext): Detection[];
}

/** A rule over one object of the listed kinds (ConfigMap, Node, ...). */
export interface ObjectRule extends RuleMeta {
  target: 'object';
  kinds: readonly string[];
  detect(object: KubeObject, context: RuleContext): Detection[];
}

/** Facts gathered over the whole cluster, for rules that cross objects. */
export interface ClusterFacts {
  /** Pods (not templates) whose findings of `dependsOn` rules say they need the node's Docker socket. */
  socketUsers: readonly SocketUser[];
  /** Node name → does it run Docker Engine. Only nodes present in the input. */
  dockerNodes: ReadonlyMap<string, boolean>;
}

export interface SocketUser {
  resource: ResourceRef;
  container?: string;
  hostPath?: string;
  hostPathType?: string;
  endpoint?: string;
  nodes: readonly string[];
}

export interface ClusterRule extends RuleMeta {
  target: 'cluster';
  /** Rules whose pod findings feed `socketUsers`. */
  dependsOn: readonly string[];
  detect(facts: ClusterFacts): Detection[];
}

export type Rule = WorkloadRule | ObjectRule | ClusterRule;

/** What workload rules see: the pod spec, read once, and the names the workload goes by. */
export interface WorkloadSubject {
  view: WorkloadView;
  /** Names to match vendors' agents against: the object, its owner, its generateName stem. */
  names: readonly string[];
}
