import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { CORPUS_DIR } from '../helpers/paths.ts';
import type { ClusterData, ResourceData } from './cluster-data.ts';

/**
 * A cluster of any size (the benchmark's 150k pods on 5,000 nodes), generated on demand:
 * item i of each list is made from a template JSON string by replacing a few placeholders,
 * so serving it costs little and the simulator's memory does not grow with the cluster.
 *
 * The mix follows the corpus: most pods are ordinary application pods (a realistic spec,
 * status and managedFields, about 6 KB each, from Deployments of 10 replicas); one Docker-
 * dependent agent DaemonSet (Datadog's agent-only manifest) and a plain DaemonSet run on every
 * node; a few CI Deployments mount the Docker socket. Together 1-5% of pods depend on Docker.
 * Nodes run dockershim (30%), cri-dockerd (10%) and containerd (60%).
 */
export interface GeneratedClusterOptions {
  pods: number;
  /** Default: one node per 30 pods, between 3 and 5,000. */
  nodes?: number;
}

export interface GeneratedClusterSummary {
  pods: number;
  nodes: number;
  deployments: number;
  dockerDependentPods: number;
}

type Json = Record<string, unknown>;

const PODS_PER_DEPLOYMENT = 10;
const CI_SHARE = 0.005;

function corpusTemplate(file: string, kind: string): Json {
  const object = parseAllDocuments(readFileSync(`${CORPUS_DIR}${file}`, 'utf8'))
    .map((document) => document.toJS() as Json | null)
    .find((document) => document?.kind === kind);
  if (!object) throw new Error(`${file} has no ${kind}`);
  return ((object.spec as Json).template as Json).spec as Json;
}

const MANAGED_FIELDS = [
  {
    manager: 'kube-controller-manager',
    operation: 'Update',
    apiVersion: 'v1',
    time: '2026-11-01T00:00:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: {
      'f:metadata': {
        'f:generateName': {},
        'f:labels': { '.': {}, 'f:app': {}, 'f:pod-template-hash': {} },
        'f:ownerReferences': { '.': {} },
      },
      'f:spec': {
        'f:containers': {
          'k:{"name":"app"}': {
            '.': {},
            'f:env': {},
            'f:image': {},
            'f:livenessProbe': {},
            'f:ports': {},
            'f:readinessProbe': {},
            'f:resources': {},
            'f:volumeMounts': {},
          },
        },
        'f:dnsPolicy': {},
        'f:restartPolicy': {},
        'f:securityContext': {},
        'f:volumes': {},
      },
    },
  },
  {
    manager: 'kubelet',
    operation: 'Update',
    apiVersion: 'v1',
    time: '2026-11-01T00:00:05Z',
    fieldsType: 'FieldsV1',
    fieldsV1: {
      'f:status': {
        'f:conditions': {},
        'f:containerStatuses': {},
        'f:hostIP': {},
        'f:phase': {},
        'f:podIP': {},
        'f:podIPs': {},
        'f:startTime': {},
      },
    },
    subresource: 'status',
  },
];

function appSpec(): Json {
  return {
    volumes: [
      { name: 'config', configMap: { name: 'app-config', defaultMode: 420 } },
      { name: 'tls', secret: { secretName: 'app-tls', defaultMode: 420 } },
      {
        name: 'kube-api-access',
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            {
              downwardAPI: {
                items: [
                  { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
                ],
              },
            },
          ],
        },
      },
    ],
    containers: [
      {
        name: 'app',
        image: 'registry.example.com/shop/checkout:4.12.7',
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        env: [
          { name: 'JAVA_OPTS', value: '-XX:MaxRAMPercentage=75 -Dfile.encoding=UTF-8' },
          { name: 'SPRING_PROFILES_ACTIVE', value: 'production' },
          { name: 'DB_HOST', value: 'postgres.shop.svc.cluster.local' },
          { name: 'CACHE_URL', value: 'redis://redis.shop.svc.cluster.local:6379/0' },
          { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://otel-collector.observability:4317' },
          { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
          { name: 'NODE_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.hostIP' } } },
          { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
        ],
        resources: { limits: { memory: '1Gi' }, requests: { cpu: '250m', memory: '768Mi' } },
        volumeMounts: [
          { name: 'config', mountPath: '/etc/app', readOnly: true },
          { name: 'tls', mountPath: '/etc/tls', readOnly: true },
          {
            name: 'kube-api-access',
            mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
            readOnly: true,
          },
        ],
        livenessProbe: {
          httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' },
          periodSeconds: 10,
          timeoutSeconds: 1,
          successThreshold: 1,
          failureThreshold: 3,
        },
        readinessProbe: {
          httpGet: { path: '/ready', port: 'http', scheme: 'HTTP' },
          periodSeconds: 5,
          timeoutSeconds: 1,
          successThreshold: 1,
          failureThreshold: 3,
        },
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
        },
      },
      {
        name: 'envoy',
        image: 'envoyproxy/envoy:v1.31.2',
        args: ['-c', '/etc/envoy/envoy.yaml', '--service-cluster', 'checkout'],
        resources: { requests: { cpu: '50m', memory: '64Mi' } },
        volumeMounts: [
          {
            name: 'kube-api-access',
            mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
            readOnly: true,
          },
        ],
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
      },
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    serviceAccountName: 'checkout',
    securityContext: { fsGroup: 2000 },
    schedulerName: 'default-scheduler',
    tolerations: [
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ],
    priority: 0,
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
  };
}

function ciSpec(): Json {
  return {
    volumes: [{ name: 'docker-sock', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } }],
    containers: [
      {
        name: 'runner',
        image: 'registry.example.com/ci/runner:2.311',
        env: [{ name: 'DOCKER_HOST', value: 'unix:///var/run/docker.sock' }],
        volumeMounts: [{ name: 'docker-sock', mountPath: '/var/run/docker.sock' }],
      },
    ],
  };
}

const RUNNING_STATUS = {
  phase: 'Running',
  conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
    type,
    status: 'True',
    lastProbeTime: null,
    lastTransitionTime: '2026-11-01T00:00:05Z',
  })),
  hostIP: '%%HOSTIP%%',
  podIP: '%%PODIP%%',
  podIPs: [{ ip: '%%PODIP%%' }],
  startTime: '2026-11-01T00:00:01Z',
  containerStatuses: [
    {
      name: 'app',
      state: { running: { startedAt: '2026-11-01T00:00:04Z' } },
      ready: true,
      restartCount: 0,
      image: 'registry.example.com/shop/checkout:4.12.7',
      imageID:
        'registry.example.com/shop/checkout@sha256:8c1a5e3b6c9a8e4a0d0f2f0f3c1b0a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a',
      containerID: 'containerd://%%UID%%',
      started: true,
    },
  ],
  qosClass: 'Burstable',
};

interface PodTemplate {
  json: string;
}

/** A pod with placeholders, serialised once. */
function podTemplate(spec: Json, ownerKind: string, labels: Json, templateHash?: string): PodTemplate {
  const pod = {
    metadata: {
      name: '%%NAME%%',
      generateName: '%%GENERATE%%',
      namespace: '%%NS%%',
      uid: '%%UID%%',
      resourceVersion: '%%RV%%',
      creationTimestamp: '2026-11-01T00:00:00Z',
      labels: { ...labels, ...(templateHash && { 'pod-template-hash': '%%HASH%%' }) },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: ownerKind,
          name: '%%OWNER%%',
          uid: '%%OWNERUID%%',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      managedFields: MANAGED_FIELDS,
    },
    spec: { ...spec, nodeName: '%%NODE%%' },
    status: RUNNING_STATUS,
  };
  return { json: JSON.stringify(pod) };
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/%%([A-Z]+)%%/g, (_, key: string) => values[key] ?? '');
}

function uid(seed: string): string {
  const hex = createHash('md5').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function hashOf(seed: string): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const digest = createHash('md5').update(seed).digest();
  return Array.from({ length: 10 }, (_, index) => alphabet[(digest[index] ?? 0) % alphabet.length]).join('');
}

function list(
  count: number,
  json: (index: number) => string,
  name: (index: number) => string,
  namespace: (index: number) => string | undefined,
): ResourceData {
  return { count, json, name, namespace };
}

export function generatedCluster(options: GeneratedClusterOptions): {
  data: ClusterData;
  summary: GeneratedClusterSummary;
} {
  const nodeCount = options.nodes ?? Math.min(5000, Math.max(3, Math.round(options.pods / 30)));
  const daemonSetPods = 2 * nodeCount;
  const ciPods = Math.max(1, Math.round(options.pods * CI_SHARE));
  const appPods = Math.max(0, options.pods - daemonSetPods - ciPods);
  const appDeployments = Math.ceil(appPods / PODS_PER_DEPLOYMENT);
  const ciDeployments = Math.ceil(ciPods / PODS_PER_DEPLOYMENT);
  const nodeName = (index: number) => `ip-10-${(index >> 8) & 255}-${index & 255}-1.ec2.internal`;

  const datadogSpec = corpusTemplate(
    'datadog/datadog-agent-manifests-agent-only-daemonset.yaml',
    'DaemonSet',
  );
  const proxySpec = corpusTemplate('flannel/kube-flannel.yml', 'DaemonSet');
  const templates = {
    app: podTemplate(appSpec(), 'ReplicaSet', { app: 'checkout' }, 'yes'),
    ci: podTemplate(ciSpec(), 'ReplicaSet', { app: 'ci-runner' }, 'yes'),
    datadog: podTemplate(datadogSpec, 'DaemonSet', { app: 'datadog' }),
    proxy: podTemplate(proxySpec, 'DaemonSet', { app: 'flannel' }),
  };
  const namespaceOfDeployment = (deployment: number) => `team-${deployment % 40}`;

  /** Pods in list order: DaemonSet pods, then CI pods, then application pods. */
  const pod = (index: number): { json: string; name: string; namespace: string } => {
    const node = nodeName(index % nodeCount);
    const common = {
      UID: uid(`pod-${index}`),
      RV: String(100000 + index),
      NODE: node,
      HOSTIP: `10.0.${(index >> 8) & 255}.${index & 255}`,
      PODIP: `100.64.${(index >> 8) & 255}.${index & 255}`,
    };
    if (index < daemonSetPods) {
      const isDatadog = index < nodeCount;
      const owner = isDatadog ? 'datadog' : 'kube-flannel-ds';
      const namespace = isDatadog ? 'datadog' : 'kube-flannel';
      const name = `${owner}-${hashOf(`${owner}-${index}`).slice(0, 5)}`;
      const json = fill(isDatadog ? templates.datadog.json : templates.proxy.json, {
        ...common,
        NAME: name,
        GENERATE: `${owner}-`,
        NS: namespace,
        OWNER: owner,
        OWNERUID: uid(`ds-${owner}`),
      });
      return { json, name, namespace };
    }
    const isCi = index < daemonSetPods + ciPods;
    const ordinal = isCi ? index - daemonSetPods : index - daemonSetPods - ciPods;
    const deployment = Math.floor(ordinal / PODS_PER_DEPLOYMENT);
    const deploymentName = isCi ? `ci-runner-${deployment}` : `checkout-${deployment}`;
    const namespace = isCi ? 'ci' : namespaceOfDeployment(deployment);
    const hash = hashOf(deploymentName);
    const replicaSet = `${deploymentName}-${hash}`;
    const name = `${replicaSet}-${hashOf(`${index}`).slice(0, 5)}`;
    const json = fill(isCi ? templates.ci.json : templates.app.json, {
      ...common,
      NAME: name,
      GENERATE: `${replicaSet}-`,
      NS: namespace,
      OWNER: replicaSet,
      OWNERUID: uid(`rs-${replicaSet}`),
      HASH: hash,
    });
    return { json, name, namespace };
  };

  const deploymentAt = (index: number) => {
    const isCi = index < ciDeployments;
    const ordinal = isCi ? index : index - ciDeployments;
    const name = isCi ? `ci-runner-${ordinal}` : `checkout-${ordinal}`;
    return {
      name,
      namespace: isCi ? 'ci' : namespaceOfDeployment(ordinal),
      spec: isCi ? ciSpec() : appSpec(),
      hash: hashOf(name),
    };
  };
  const deploymentCount = ciDeployments + appDeployments;

  const nodeTemplate = JSON.stringify({
    metadata: {
      name: '%%NAME%%',
      uid: '%%UID%%',
      resourceVersion: '1',
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels: { 'kubernetes.io/hostname': '%%NAME%%', 'kubernetes.io/os': 'linux' },
      annotations: { 'kubeadm.alpha.kubernetes.io/cri-socket': '%%CRI%%' },
    },
    spec: { podCIDR: '100.64.0.0/24' },
    status: {
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
      ],
      addresses: [
        { type: 'InternalIP', address: '%%HOSTIP%%' },
        { type: 'Hostname', address: '%%NAME%%' },
      ],
      nodeInfo: {
        kubeletVersion: '%%KUBELET%%',
        kubeProxyVersion: '%%KUBELET%%',
        containerRuntimeVersion: '%%RUNTIME%%',
        osImage: 'Amazon Linux 2',
        kernelVersion: '5.10.226',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  });
  const nodeJson = (index: number) => {
    const kind = index % 10;
    const [runtime, kubelet, cri] =
      kind < 3
        ? ['docker://20.10.25', 'v1.23.17', '/var/run/dockershim.sock']
        : kind < 4
          ? ['docker://24.0.9', 'v1.28.15', 'unix:///var/run/cri-dockerd.sock']
          : ['containerd://1.7.22', 'v1.28.15', 'unix:///run/containerd/containerd.sock'];
    return fill(nodeTemplate, {
      NAME: nodeName(index),
      UID: uid(`node-${index}`),
      HOSTIP: `10.0.${(index >> 8) & 255}.${index & 255}`,
      RUNTIME: runtime,
      KUBELET: kubelet,
      CRI: cri,
    });
  };

  const controller = (kind: string, name: string, namespace: string, spec: Json, extra: Json = {}) =>
    JSON.stringify({
      metadata: {
        name,
        namespace,
        uid: uid(`${kind}-${name}`),
        resourceVersion: '2',
        creationTimestamp: '2026-11-01T00:00:00Z',
        ...extra,
      },
      spec: {
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec },
      },
    });

  const daemonSets = [
    { name: 'datadog', namespace: 'datadog', spec: datadogSpec },
    { name: 'kube-flannel-ds', namespace: 'kube-flannel', spec: proxySpec },
  ];
  const resources = new Map<string, ResourceData>([
    ['nodes', list(nodeCount, nodeJson, nodeName, () => undefined)],
    [
      'pods',
      list(
        options.pods,
        (index) => pod(index).json,
        (index) => pod(index).name,
        (index) => pod(index).namespace,
      ),
    ],
    [
      'deployments',
      list(
        deploymentCount,
        (index) => {
          const deployment = deploymentAt(index);
          return controller('Deployment', deployment.name, deployment.namespace, deployment.spec);
        },
        (index) => deploymentAt(index).name,
        (index) => deploymentAt(index).namespace,
      ),
    ],
    [
      'replicasets',
      list(
        deploymentCount,
        (index) => {
          const deployment = deploymentAt(index);
          return controller(
            'ReplicaSet',
            `${deployment.name}-${deployment.hash}`,
            deployment.namespace,
            deployment.spec,
            {
              ownerReferences: [
                {
                  apiVersion: 'apps/v1',
                  kind: 'Deployment',
                  name: deployment.name,
                  uid: uid(`Deployment-${deployment.name}`),
                  controller: true,
                },
              ],
            },
          );
        },
        (index) => `${deploymentAt(index).name}-${deploymentAt(index).hash}`,
        (index) => deploymentAt(index).namespace,
      ),
    ],
    [
      'daemonsets',
      list(
        daemonSets.length,
        (index) => {
          const daemonSet = daemonSets[index] ?? daemonSets[0];
          return controller(
            'DaemonSet',
            daemonSet?.name ?? '',
            daemonSet?.namespace ?? '',
            daemonSet?.spec ?? {},
          );
        },
        (index) => daemonSets[index]?.name ?? '',
        (index) => daemonSets[index]?.namespace,
      ),
    ],
  ]);
  return {
    data: { resources },
    summary: {
      pods: options.pods,
      nodes: nodeCount,
      deployments: deploymentCount,
      dockerDependentPods: nodeCount + ciPods,
    },
  };
}
