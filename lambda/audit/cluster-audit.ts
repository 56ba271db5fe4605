import type { CollectionOutcome, ObjectOrigin } from '../collect/cluster-source.ts';
import { describeError } from '../errors.ts';
import { type KubeObject, type ResourceRef, resourceKey } from '../kube/objects.ts';
import { podSpecOf } from '../kube/pod-specs.ts';
import { planMigration } from '../plan/plan.ts';
import { PlanFactsCollector } from '../plan/read-facts.ts';
import { nodeReport, summarise, workloadsOf } from '../report/cluster-summary.ts';
import {
  type ClusterReport,
  type ClusterSourceInfo,
  type ClusterStatus,
  type CollectionError,
  compareFindings,
  type Finding,
} from '../report/model.ts';
import { type NodeRuntime, nodeRuntimeOf } from '../rules/lib/node-runtime.ts';
import { buildWorkloadView } from '../rules/lib/workload-view.ts';
import type {
  ClusterRule,
  Detection,
  ObjectRule,
  Rule,
  RuleContext,
  SocketUser,
  WorkloadRule,
} from '../rules/rule.ts';
import { counted, Samples } from '../samples.ts';
import { findingId } from './finding-id.ts';
import { describeOrigin, identityOf } from './object-identity.ts';
import { OwnerIndex, subjectOf, workloadNames } from './owners.ts';
import { type AuditPolicy, exemptionFor, severityFor } from './policy.ts';

/** A detection waiting for the end of the run, when its top-level owner can be resolved. */
interface PendingFinding {
  rule: Rule;
  detection: Detection;
  subject: ResourceRef;
  podTemplateHash?: string;
  /** Nodes of the pods that produced it (pods only, not templates): empty for a template alone. */
  nodes: Set<string>;
}

/**
 * A source that yielded no object at all did not read the cluster, whatever it says: empty
 * standard input, a folder of empty files, a cluster whose every list failed or was not served.
 */
export const NOTHING_READ_REASON = 'nothing was read: the source yielded no Kubernetes object';
/** Notes are for a few things worth knowing, not a log: past this many, the rest are dropped. */
const MAX_NOTES = 20;

/**
 * The audit of one cluster, fed one object at a time so that a collector can stream pages and
 * drop them: what survives an object is its findings (deduplicated per workload), its node's
 * runtime, and an owner-index entry for controllers. `finish` resolves owners, runs the
 * cross-object rules, applies the policy and returns the cluster's part of the report.
 */
export class ClusterAudit {
  private readonly workloadRules: WorkloadRule[];
  private readonly objectRules: ObjectRule[];
  private readonly clusterRules: ClusterRule[];
  private readonly context: RuleContext;
  /** Rules whose findings are context for the workload's others (`RuleMeta.contextForWorkload`). */
  private readonly contextRules: ReadonlySet<string>;
  private readonly pending = new Map<string, PendingFinding>();
  private readonly owners = new OwnerIndex();
  private readonly planFacts = new PlanFactsCollector();
  private readonly nodes = new Map<string, NodeRuntime>();
  private readonly errors: CollectionError[] = [];
  private readonly objectCounts: Record<string, number> = {};
  /** Every object added, never reset by a restarted list: only zero matters. */
  private objectsRead = 0;
  private readonly notes: string[] = [];
  private readonly unnamed = new Samples();
  private ruleFailures = 0;
  readonly cluster: string;
  private readonly policy: AuditPolicy;

  constructor(cluster: string, policy: AuditPolicy) {
    this.cluster = cluster;
    this.policy = policy;
    this.workloadRules = policy.rules.filter((rule): rule is WorkloadRule => rule.target === 'workload');
    this.objectRules = policy.rules.filter((rule): rule is ObjectRule => rule.target === 'object');
    this.clusterRules = policy.rules.filter((rule): rule is ClusterRule => rule.target === 'cluster');
    this.context = { agents: policy.agents };
    this.contextRules = new Set(
      policy.rules.filter((rule) => rule.contextForWorkload).map((rule) => rule.id),
    );
  }

  /**
   * Audits one object. Never throws: a rule that fails is recorded as an error for that object.
   * `origin` (files) names an object that has no name of its own.
   */
  add(object: KubeObject, origin?: ObjectOrigin): void {
    const identity = identityOf(object, origin);
    if (!identity) return;
    const { ref } = identity;
    this.objectsRead++;
    this.objectCounts[ref.kind] = (this.objectCounts[ref.kind] ?? 0) + 1;
    if (identity.standIn) {
      const where = origin && !ref.name.startsWith('(unnamed') ? ` (${describeOrigin(origin)})` : '';
      this.unnamed.add(`${resourceKey(ref)}${where}`);
    }
    this.owners.record(object, ref);
    const subject = subjectOf(object, ref);
    if (!subject) return;
    this.planFacts.add(object, subject, ref);
    if (ref.kind === 'Node') {
      const runtime = nodeRuntimeOf(object);
      const name = runtime.name || ref.name;
      this.nodes.set(name, { ...runtime, name });
    }
    const site = podSpecOf(object);
    if (site) {
      const workload = { view: buildWorkloadView(site.spec), names: workloadNames(object) };
      for (const rule of this.workloadRules) {
        const detections = this.run(rule, ref, () => rule.detect(workload, this.context));
        for (const detection of detections) {
          this.remember(rule, detection, subject, site.isPod ? workload.view.nodeName : undefined);
        }
      }
    }
    for (const rule of this.objectRules) {
      if (!rule.kinds.includes(ref.kind)) continue;
      for (const detection of this.run(rule, ref, () => rule.detect(object, this.context))) {
        this.remember(rule, detection, subject, undefined);
      }
    }
  }

  /** Something the report's reader should know about how the cluster was read (not an error). */
  note(message: string): void {
    if (this.notes.length < MAX_NOTES) this.notes.push(message);
  }

  /**
   * A list starts over after its continue token expired. Findings, nodes and owners are keyed,
   * so seeing an object twice changes nothing; only the count of that kind starts again.
   */
  restartList(kind: string): void {
    this.objectCounts[kind] = 0;
  }

  /** Something that could not be read (a file, a list, a page). Makes the cluster partial. */
  recordError(error: CollectionError): void {
    this.errors.push(error);
  }

  finish(source: ClusterSourceInfo, collected: CollectionOutcome): ClusterReport {
    // One rule for every source: nothing read is never a complete (or a partial) reading.
    const outcome: CollectionOutcome =
      this.objectsRead === 0 && collected.status !== 'failed'
        ? { status: 'failed', reason: collected.reason ?? NOTHING_READ_REASON }
        : collected;
    const findings = new Map<string, Finding>();
    // One socket user per workload, container and endpoint, whichever rules saw it (DS001 and DS004 often both do).
    const socketUsers = new Map<string, Omit<SocketUser, 'nodes'> & { nodes: Set<string> }>();
    const dependsOn = new Set(this.clusterRules.flatMap((rule) => rule.dependsOn));
    for (const item of this.pending.values()) {
      const resource = this.owners.resolve(item.subject, item.podTemplateHash);
      this.addFinding(findings, item.rule, item.detection, resource);
      if (item.nodes.size > 0 && dependsOn.has(item.rule.id)) {
        const evidence = item.detection.evidence;
        const key = [
          resourceKey(resource),
          item.detection.container,
          evidence.hostPath,
          evidence.endpoint,
        ].join('|');
        const user = socketUsers.get(key) ?? {
          resource,
          nodes: new Set<string>(),
          ...(item.detection.container !== undefined && { container: item.detection.container }),
          ...(evidence.hostPath !== undefined && { hostPath: evidence.hostPath }),
          ...(evidence.hostPathType !== undefined && { hostPathType: evidence.hostPathType }),
          ...(evidence.endpoint !== undefined && { endpoint: evidence.endpoint }),
        };
        for (const nodeName of item.nodes) user.nodes.add(nodeName);
        socketUsers.set(key, user);
      }
    }
    const facts = {
      socketUsers: [...socketUsers.values()].map((user) => ({ ...user, nodes: [...user.nodes] })),
      dockerNodes: new Map([...this.nodes].map(([name, node]) => [name, node.dockerEngine])),
    };
    for (const rule of this.clusterRules) {
      for (const detection of this.run(rule, undefined, () => rule.detect(facts))) {
        if (detection.resource) this.addFinding(findings, rule, detection, detection.resource);
      }
    }
    const attributed = attachAgentGuidance([...findings.values()], this.contextRules).sort(compareFindings);
    const status = this.statusOf(outcome);
    const errors = [...this.errors];
    if (outcome.status === 'failed')
      errors.push({ source: this.cluster, message: outcome.reason ?? 'collection failed' });
    const notes = [...this.notes];
    if (this.unnamed.count > 0)
      notes.push(
        `${counted(this.unnamed.count, 'object has', 'objects have')} no metadata.name and ${this.unnamed.count === 1 ? 'is' : 'are'} reported under a stand-in name (the generateName with "(generated)", or the place in the input): ${this.unnamed.list()}.`,
      );
    const nodes = [...this.nodes.values()].map(nodeReport).sort((a, b) => a.name.localeCompare(b.name));
    return {
      name: this.cluster,
      source,
      status,
      errors,
      ...(notes.length > 0 && { notes }),
      objects: { ...this.objectCounts },
      nodes,
      workloads: workloadsOf(attributed),
      findings: attributed,
      summary: summarise(attributed, [...this.nodes.values()]),
      // The plan needs owners resolved and every object seen: it is made here, once per cluster.
      migration: planMigration({
        cluster: { status, nodes, findings: attributed, source },
        facts: this.planFacts.facts((ref, hash) => this.owners.resolve(ref, hash)),
        poolLabels: this.policy.poolLabels,
      }),
    };
  }

  private statusOf(outcome: CollectionOutcome): ClusterStatus {
    if (outcome.status === 'failed') return 'failed';
    // Anything not read, or any rule that could not judge an object, makes the result incomplete.
    if (outcome.status === 'partial' || this.errors.length > 0 || this.ruleFailures > 0) return 'partial';
    return 'complete';
  }

  private run(rule: Rule, subject: ResourceRef | undefined, detect: () => Detection[]): Detection[] {
    try {
      return detect();
    } catch (error) {
      this.ruleFailures++;
      const on = subject ? ` on ${resourceKey(subject)}` : '';
      this.errors.push({
        source: `rule ${rule.id}${on}`,
        message: describeError(error),
      });
      return [];
    }
  }

  private remember(
    rule: Rule,
    detection: Detection,
    subject: { ref: ResourceRef; podTemplateHash?: string },
    nodeName: string | undefined,
  ): void {
    // Pods of one controller produce the same detections: keep one, remember their nodes.
    const key = [
      rule.id,
      resourceKey(subject.ref),
      detection.container ?? '',
      JSON.stringify(detection.evidence),
    ].join('|');
    let item = this.pending.get(key);
    if (!item) {
      item = { rule, detection, subject: subject.ref, nodes: new Set() };
      if (subject.podTemplateHash !== undefined) item.podTemplateHash = subject.podTemplateHash;
      this.pending.set(key, item);
    }
    if (nodeName) item.nodes.add(nodeName);
  }

  private addFinding(
    findings: Map<string, Finding>,
    rule: Rule,
    detection: Detection,
    resource: ResourceRef,
  ): void {
    const id = findingId(this.cluster, rule.id, resource, detection.container, detection.evidence);
    if (findings.has(id)) return;
    const finding: Finding = {
      id,
      rule: rule.id,
      severity: severityFor(this.policy, rule),
      title: rule.title,
      message: detection.message,
      resource,
      evidence: detection.evidence,
      remediation: rule.remediation,
      references: [...rule.references],
    };
    if (detection.container !== undefined) finding.container = detection.container;
    if (detection.agent) finding.agent = detection.agent;
    const exemption = exemptionFor(this.policy, this.cluster, finding);
    if (exemption) {
      finding.exemption = { reason: exemption.reason };
      if (exemption.expires !== undefined) finding.exemption.expires = exemption.expires;
    }
    findings.set(id, finding);
  }
}

/**
 * The vendor guidance of a recognised agent goes onto every finding of its workload; the
 * "known agent" finding itself stays only where the workload has nothing else to show.
 */
function attachAgentGuidance(findings: Finding[], contextRules: ReadonlySet<string>): Finding[] {
  const agentOf = new Map<string, Finding['agent']>();
  const withOtherFindings = new Set<string>();
  for (const finding of findings) {
    const key = resourceKey(finding.resource);
    if (contextRules.has(finding.rule)) agentOf.set(key, finding.agent);
    else withOtherFindings.add(key);
  }
  const kept: Finding[] = [];
  for (const finding of findings) {
    const key = resourceKey(finding.resource);
    if (contextRules.has(finding.rule) && withOtherFindings.has(key)) continue;
    const agent = agentOf.get(key);
    kept.push(agent && !finding.agent ? { ...finding, agent } : finding);
  }
  return kept;
}
