/**
 * Builds demo/cluster.json: a `kubectl get -o json` style List of a mixed EKS cluster, made from
 * the vendors' own manifests in test/corpus. Three node pools: an EKS managed node group on
 * dockershim, a Karpenter pool on cri-dockerd whose taint keeps most agents away, and a node
 * group on containerd. DaemonSets have a pod on every node they tolerate, so agents that need
 * the Docker socket show up as broken on the containerd nodes, and the plan has a pool that is
 * ready to move and one that is blocked.
 *
 * Deterministic: the same corpus gives the same file (a test checks the committed file).
 * Run: npm run build:demo
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const corpus = (file: string) => fileURLToPath(new URL(`../test/corpus/${file}`, import.meta.url));
export const DEMO_OUTPUT = fileURLToPath(new URL('./cluster.json', import.meta.url));

type Json = Record<string, unknown>;

/** The workloads of the demo, taken unchanged from the corpus (namespace filled where a manifest leaves it to the installer). */
const WORKLOADS: Array<{ file: string; kind: string; name: string; namespace: string }> = [
  {
    file: 'datadog/datadog-agent-manifests-agent-only-daemonset.yaml',
    kind: 'DaemonSet',
    name: 'datadog',
    namespace: 'datadog',
  },
  { file: 'falco/falco-daemonset.yaml', kind: 'DaemonSet', name: 'falco', namespace: 'falco' },
  { file: 'fluent-bit/fluent-bit-ds.yaml', kind: 'DaemonSet', name: 'fluent-bit', namespace: 'logging' },
  { file: 'weave-scope/ds.yaml', kind: 'DaemonSet', name: 'weave-scope-agent', namespace: 'weave' },
  {
    file: 'node-exporter/nodeExporter-daemonset.yaml',
    kind: 'DaemonSet',
    name: 'node-exporter',
    namespace: 'monitoring',
  },
  { file: 'signalfx/daemonset.yaml', kind: 'DaemonSet', name: 'signalfx-agent', namespace: 'signalfx' },
  {
    file: 'signalfx/configmap-agent-yaml.yaml',
    kind: 'ConfigMap',
    name: 'signalfx-agent-v5',
    namespace: 'signalfx',
  },
  { file: 'flannel/kube-flannel.yml', kind: 'DaemonSet', name: 'kube-flannel-ds', namespace: 'kube-flannel' },
  {
    file: 'jupyter-enterprise-gateway/enterprise-gateway-kip.yaml',
    kind: 'DaemonSet',
    name: 'kernel-image-puller',
    namespace: 'enterprise-gateway',
  },
  {
    file: 'jupyter-enterprise-gateway/enterprise-gateway-kip.yaml',
    kind: 'Deployment',
    name: 'enterprise-gateway',
    namespace: 'enterprise-gateway',
  },
];

const LEGACY = {
  'eks.amazonaws.com/nodegroup': 'legacy-docker',
  'eks.amazonaws.com/capacityType': 'ON_DEMAND',
};
const GENERAL = { 'eks.amazonaws.com/nodegroup': 'general', 'eks.amazonaws.com/capacityType': 'ON_DEMAND' };
/** Batch jobs only: the taint keeps every pod that does not tolerate it off these nodes. */
const BATCH_TAINT = { key: 'dedicated', value: 'batch', effect: 'NoExecute' };

const NODES: Array<{
  name: string;
  runtime: string;
  kubelet: string;
  criSocket: string;
  labels: Record<string, string>;
  taints?: Json[];
}> = [
  {
    name: 'ip-10-0-1-11.ec2.internal',
    runtime: 'docker://20.10.24',
    kubelet: 'v1.23.17',
    criSocket: '/var/run/dockershim.sock',
    labels: LEGACY,
  },
  {
    name: 'ip-10-0-1-12.ec2.internal',
    runtime: 'docker://20.10.24',
    kubelet: 'v1.23.17',
    criSocket: '/var/run/dockershim.sock',
    labels: LEGACY,
  },
  {
    name: 'ip-10-0-2-21.ec2.internal',
    runtime: 'docker://24.0.7',
    kubelet: 'v1.27.9',
    criSocket: 'unix:///var/run/cri-dockerd.sock',
    labels: { 'karpenter.sh/nodepool': 'batch', 'karpenter.sh/capacity-type': 'spot' },
    taints: [BATCH_TAINT],
  },
  {
    name: 'ip-10-0-3-31.ec2.internal',
    runtime: 'containerd://1.7.13',
    kubelet: 'v1.28.5',
    criSocket: 'unix:///run/containerd/containerd.sock',
    labels: GENERAL,
  },
  {
    name: 'ip-10-0-3-32.ec2.internal',
    runtime: 'containerd://1.7.13',
    kubelet: 'v1.28.5',
    criSocket: 'unix:///run/containerd/containerd.sock',
    labels: GENERAL,
  },
  {
    name: 'ip-10-0-3-33.ec2.internal',
    runtime: 'containerd://1.7.13',
    kubelet: 'v1.28.5',
    criSocket: 'unix:///run/containerd/containerd.sock',
    labels: GENERAL,
  },
];

/**
 * Whether a DaemonSet has a pod on the node: only the batch taint (NoExecute) keeps one away,
 * unless a toleration covers it. Written out here rather than taken from the plan's scheduling
 * code, so that the demo does not grade its own homework.
 */
function runsOn(daemonSet: Json, node: (typeof NODES)[number]): boolean {
  if (!node.taints) return true;
  const spec = ((daemonSet.spec as Json).template as Json).spec as Json;
  const tolerations = (Array.isArray(spec.tolerations) ? spec.tolerations : []) as Json[];
  return tolerations.some(
    (toleration) =>
      (toleration.effect === undefined || toleration.effect === BATCH_TAINT.effect) &&
      ((toleration.operator === 'Exists' &&
        (toleration.key === undefined || toleration.key === BATCH_TAINT.key)) ||
        (toleration.key === BATCH_TAINT.key && toleration.value === BATCH_TAINT.value)),
  );
}

/** The gateway's budget: with its single replica, it allows no disruption, so draining its node stalls. */
const GATEWAY_BUDGET: Json = {
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: {
    name: 'enterprise-gateway',
    namespace: 'enterprise-gateway',
    uid: uid('pdb/enterprise-gateway'),
  },
  spec: { minAvailable: 1, selector: { matchLabels: { 'gateway-selector': 'enterprise-gateway' } } },
  status: { currentHealthy: 1, desiredHealthy: 1, disruptionsAllowed: 0, expectedPods: 1 },
};

function documentsOf(file: string): Json[] {
  return parseAllDocuments(readFileSync(corpus(file), 'utf8'))
    .map((document) => document.toJS() as Json | null)
    .filter((value): value is Json => value !== null && typeof value === 'object');
}

/** Kubernetes-style suffix (consonants and digits), derived from a seed so the output is stable. */
function suffix(seed: string, length: number): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const digest = createHash('sha256').update(seed).digest();
  return Array.from({ length }, (_, index) => alphabet[(digest[index] ?? 0) % alphabet.length]).join('');
}

function uid(seed: string): string {
  const hex = createHash('sha256').update(`uid:${seed}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function nodeObject(template: Json, node: (typeof NODES)[number]): Json {
  const object = clone(template);
  const metadata = object.metadata as Json;
  metadata.name = node.name;
  metadata.uid = uid(node.name);
  metadata.annotations = {
    ...(metadata.annotations as Json),
    'kubeadm.alpha.kubernetes.io/cri-socket': node.criSocket,
  };
  metadata.labels = { ...(metadata.labels as Json), ...node.labels, 'kubernetes.io/hostname': node.name };
  delete (metadata.labels as Json)['node-role.kubernetes.io/master'];
  delete (metadata.labels as Json)['node-role.kubernetes.io/control-plane'];
  if (node.taints) object.spec = { ...(object.spec as Json), taints: node.taints };
  const nodeInfo = (object.status as Json).nodeInfo as Json;
  nodeInfo.containerRuntimeVersion = node.runtime;
  nodeInfo.kubeletVersion = node.kubelet;
  nodeInfo.kubeProxyVersion = node.kubelet;
  return object;
}

function podFor(
  owner: Json,
  ownerKind: string,
  ownerName: string,
  namespace: string,
  podName: string,
  nodeName: string,
  extraLabels: Json = {},
): Json {
  const template = ((owner.spec as Json).template ?? {}) as Json;
  const templateMeta = (template.metadata ?? {}) as Json;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podName,
      namespace,
      uid: uid(`${namespace}/${podName}`),
      labels: { ...(templateMeta.labels as Json), ...extraLabels },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: ownerKind,
          name: ownerName,
          uid: uid(`${namespace}/${ownerKind}/${ownerName}`),
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { ...clone(template.spec as Json), nodeName },
    status: { phase: 'Running', hostIP: '10.0.0.1' },
  };
}

export function buildDemo(): Json {
  const items: Json[] = [];
  const nodeTemplate = (
    (JSON.parse(readFileSync(corpus('snapshots/sonobuoy-kind-nodes-containerd.json'), 'utf8')) as Json)
      .items as Json[]
  )[1] as Json;
  for (const node of NODES) items.push(nodeObject(nodeTemplate, node));
  for (const workload of WORKLOADS) {
    const source = documentsOf(workload.file).find(
      (document) =>
        document.kind === workload.kind && (document.metadata as Json | undefined)?.name === workload.name,
    );
    if (!source) throw new Error(`${workload.file} has no ${workload.kind} ${workload.name}`);
    const object = clone(source);
    const metadata = object.metadata as Json;
    metadata.namespace = workload.namespace;
    metadata.uid = uid(`${workload.namespace}/${workload.kind}/${workload.name}`);
    items.push(object);
    if (workload.kind === 'DaemonSet') {
      for (const node of NODES.filter((candidate) => runsOn(object, candidate))) {
        const podName = `${workload.name}-${suffix(`${workload.name}/${node.name}`, 5)}`;
        items.push(podFor(object, 'DaemonSet', workload.name, workload.namespace, podName, node.name));
      }
    }
    if (workload.kind === 'Deployment') {
      // The Deployment's ReplicaSet is left out, as in a pods-only snapshot: its owner is inferred.
      const hash = suffix(`${workload.name}/template`, 10);
      const replicaSet = `${workload.name}-${hash}`;
      // On the dockershim node group, where its budget holds up the drain.
      const node = NODES[0]?.name ?? '';
      items.push(
        podFor(
          object,
          'ReplicaSet',
          replicaSet,
          workload.namespace,
          `${replicaSet}-${suffix(replicaSet, 5)}`,
          node,
          { 'pod-template-hash': hash },
        ),
      );
    }
  }
  items.push(GATEWAY_BUDGET);
  return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(DEMO_OUTPUT, `${JSON.stringify(buildDemo(), null, 2)}\n`);
  process.stdout.write(`wrote ${DEMO_OUTPUT}\n`);
}
