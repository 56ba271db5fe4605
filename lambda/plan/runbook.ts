import { PoolSource, type Runbook, RunbookRoute, type RunbookStep } from '../report/migration.ts';
import { KUBEADM_CRI_SOCKET_ANNOTATION, kubeletMinorVersion } from '../rules/lib/node-runtime.ts';
import { plural } from '../text.ts';
import type { PoolGroup } from './pools.ts';

export const CONTAINERD_ENDPOINT = 'unix:///run/containerd/containerd.sock';
/** Kubernetes 1.27 removed the kubelet's --container-runtime flag; the endpoint flag stays. */
const RUNTIME_FLAG_REMOVED_IN = 27;

/**
 * A node name goes into a shell command only when it is a valid Kubernetes node name (a DNS
 * subdomain): then it holds nothing a shell, kubectl or ssh would read as anything but a name.
 * Names from manifests can be anything; those are left out of the commands, and the runbook says so.
 */
const NODE_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** EKS node group and GKE node pool names: letters, digits, `-` and `_`, up to 63 characters. */
const POOL_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

export function isSafeNodeName(name: string): boolean {
  return NODE_NAME.test(name);
}

/**
 * The commands that move a pool's Docker Engine nodes to containerd, with its node names filled
 * in: the managed service's route where the labels show one (EKS managed node groups, GKE node
 * pools), otherwise the Kubernetes documentation's procedure ("Changing the Container Runtime
 * on a Node from Docker Engine to containerd"), node by node.
 */
export function runbookFor(
  pool: PoolGroup,
  options: { unownedPods: number; kubeletVersions: readonly string[] },
): Runbook {
  const dockerNodes = pool.nodes.filter((node) => node.report.dockerEngine);
  if (dockerNodes.length === 0)
    return { route: RunbookRoute.none, steps: [], notes: ['Every node of this pool is off Docker Engine.'] };
  const names = dockerNodes.map((node) => node.report.name);
  const safe = names.filter(isSafeNodeName);
  const notes: string[] = [];
  const left = names.length - safe.length;
  if (left > 0)
    notes.push(
      left === 1
        ? '1 node has a name that is not a valid Kubernetes node name; it is left out of the commands. Check the input it came from.'
        : `${left} nodes have names that are not valid Kubernetes node names; they are left out of the commands. Check the input they came from.`,
    );
  if (options.unownedPods > 0)
    notes.push(
      `${options.unownedPods} ${plural(options.unownedPods, 'pod')} on these nodes ${options.unownedPods === 1 ? 'has' : 'have'} no controller: the drain stops there. Re-create ${options.unownedPods === 1 ? 'it' : 'them'} under a controller first, or add --force to the drain, which deletes ${options.unownedPods === 1 ? 'it' : 'them'} for good.`,
    );
  if (safe.length === 0) return { route: RunbookRoute.none, steps: [], notes };
  const poolName = pool.label?.value ?? '';
  if (pool.source === PoolSource.eksManaged && POOL_NAME.test(poolName))
    return { route: RunbookRoute.eksManagedNodeGroup, steps: eksSteps(poolName, safe), notes };
  if (pool.source === PoolSource.gke && POOL_NAME.test(poolName))
    return { route: RunbookRoute.gkeNodePool, steps: gkeSteps(poolName, safe, pool), notes };
  if (pool.source === PoolSource.karpenter)
    notes.push(
      'Karpenter replaces nodes that drift from their NodePool: rather than changing these nodes in place, point the NodePool at a node class whose AMI runs containerd (any EKS-optimized AMI for 1.24 or later, or Bottlerocket) and let the drift roll them; the procedure below is for nodes kept by hand.',
    );
  if (pool.source === PoolSource.eksManaged || pool.source === PoolSource.gke)
    notes.push(
      `The pool's name (${poolName}) is not one its cloud accepts, so only the in-place procedure is given.`,
    );
  const annotated = dockerNodes.some((node) => node.facts.criSocket !== undefined);
  const criDockerd = dockerNodes.some((node) => node.category === 'cri-dockerd');
  return {
    route: RunbookRoute.inPlace,
    steps: inPlaceSteps(safe, options.kubeletVersions, { annotated, criDockerd }),
    notes,
  };
}

const DRAIN = 'kubectl drain "$node" --ignore-daemonsets --delete-emptydir-data --timeout=15m';

function inPlaceSteps(
  nodes: readonly string[],
  kubeletVersions: readonly string[],
  { annotated, criDockerd }: { annotated: boolean; criDockerd: boolean },
): RunbookStep[] {
  const minors = kubeletVersions
    .map(kubeletMinorVersion)
    .filter((minor): minor is number => minor !== undefined);
  const before127 = minors.filter((minor) => minor < RUNTIME_FLAG_REMOVED_IN).length;
  const flagsLines =
    before127 === minors.length && minors.length > 0
      ? [`FLAGS='--container-runtime=remote --container-runtime-endpoint=${CONTAINERD_ENDPOINT}'`]
      : before127 === 0 && minors.length > 0
        ? [`FLAGS='--container-runtime-endpoint=${CONTAINERD_ENDPOINT}'`]
        : [
            '# Kubelets before 1.27 also need --container-runtime=remote; 1.27 removed that flag.',
            `FLAGS='--container-runtime-endpoint=${CONTAINERD_ENDPOINT}'`,
            `kubelet --version | grep -Eq 'v1\\.(1[0-9]|2[0-6])\\.' && FLAGS="--container-runtime=remote $FLAGS"`,
          ];
  return [
    { title: 'The nodes to move, one at a time', commands: [`NODES='${nodes.join(' ')}'`] },
    {
      title:
        'What runs on each node, as root: stop the kubelet and Docker Engine, install and configure containerd, point the kubelet at it, start it',
      commands: [
        "cat > switch-to-containerd.sh <<'SCRIPT'",
        'set -eu',
        'systemctl stop kubelet',
        ...(criDockerd ? ['systemctl disable --now cri-docker.service cri-docker.socket'] : []),
        'systemctl disable --now docker.service docker.socket',
        '# containerd: Docker Engine installs it (containerd.io); otherwise from the distribution',
        'command -v containerd >/dev/null || apt-get install -y containerd || yum install -y containerd',
        'mkdir -p /etc/containerd',
        "# Docker's containerd.io ships a config with the CRI plugin disabled: write the default one",
        'containerd config default > /etc/containerd/config.toml',
        '# The same cgroup driver as the kubelet',
        "if grep -q 'cgroupDriver: systemd' /var/lib/kubelet/config.yaml; then sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' /etc/containerd/config.toml; fi",
        'systemctl enable containerd',
        'systemctl restart containerd',
        '# Point the kubelet at containerd (kubeadm keeps its flags in kubeadm-flags.env)',
        ...flagsLines,
        `sed -i -E 's@ ?--container-runtime(-endpoint)?=[^ "]*@@g' /var/lib/kubelet/kubeadm-flags.env`,
        `sed -i "s@KUBELET_KUBEADM_ARGS=\\"@KUBELET_KUBEADM_ARGS=\\"$FLAGS @" /var/lib/kubelet/kubeadm-flags.env`,
        'systemctl start kubelet',
        'SCRIPT',
      ],
    },
    {
      title:
        'Node by node: cordon, drain, switch, wait until Ready, uncordon (stops at the first node that fails)',
      commands: [
        'for node in $NODES; do',
        '  kubectl cordon "$node"',
        `  ${DRAIN} || break`,
        '  # ssh reaches the node by its Kubernetes name here; use its address or a session manager where it does not',
        `  ssh "$node" 'sudo sh -s' < switch-to-containerd.sh || break`,
        ...(annotated
          ? [
              `  kubectl annotate node "$node" --overwrite ${KUBEADM_CRI_SOCKET_ANNOTATION}=${CONTAINERD_ENDPOINT}`,
            ]
          : []),
        '  kubectl wait --for=condition=Ready "node/$node" --timeout=10m || break',
        '  kubectl uncordon "$node"',
        'done',
      ],
    },
    {
      title: 'Check: every node says containerd:// under CONTAINER-RUNTIME',
      commands: ['kubectl get nodes -o wide $NODES'],
    },
  ];
}

function eksSteps(nodeGroup: string, nodes: readonly string[]): RunbookStep[] {
  const replacement = `${nodeGroup.slice(0, 52)}-containerd`;
  return [
    {
      title: 'The EKS cluster (fill in its name) and the old node group',
      commands: [
        "CLUSTER='<EKS cluster name>'",
        `aws eks describe-nodegroup --cluster-name "$CLUSTER" --nodegroup-name ${nodeGroup}`,
      ],
    },
    {
      title: `A new node group on a containerd AMI, with the old one's instance types, subnets, labels and taints`,
      commands: [
        '# Any EKS-optimized AMI for Kubernetes 1.24 or later runs containerd only; for 1.21 to 1.23,',
        '# a launch template whose user data runs bootstrap.sh with --container-runtime containerd.',
        `aws eks create-nodegroup --cluster-name "$CLUSTER" --nodegroup-name ${replacement} --cli-input-json file://${replacement}.json`,
        `aws eks wait nodegroup-active --cluster-name "$CLUSTER" --nodegroup-name ${replacement}`,
      ],
    },
    {
      title: 'Move the workloads: cordon every old node, then drain them one by one',
      commands: [
        `NODES='${nodes.join(' ')}'`,
        'kubectl cordon $NODES',
        `for node in $NODES; do ${DRAIN} || break; done`,
      ],
    },
    {
      title: 'Delete the old node group',
      commands: [`aws eks delete-nodegroup --cluster-name "$CLUSTER" --nodegroup-name ${nodeGroup}`],
    },
  ];
}

function gkeSteps(nodePool: string, nodes: readonly string[], pool: PoolGroup): RunbookStep[] {
  const ubuntu = pool.nodes.some(
    (node) => node.facts.labels['cloud.google.com/gke-os-distribution'] === 'ubuntu',
  );
  return [
    {
      title: 'The GKE cluster (fill in its name and location)',
      commands: ["CLUSTER='<GKE cluster name>'", "LOCATION='<region or zone>'"],
    },
    {
      title:
        'Switch the pool to a containerd node image: GKE replaces its nodes, respecting PodDisruptionBudgets for up to an hour per node',
      commands: [
        `gcloud container node-pools update ${nodePool} --cluster "$CLUSTER" --location "$LOCATION" --image-type ${ubuntu ? 'UBUNTU_CONTAINERD' : 'COS_CONTAINERD'}`,
      ],
    },
    {
      title: 'Check: the nodes that replace these run containerd',
      commands: [
        `# Replaced: ${nodes.join(' ')}`,
        `kubectl get nodes -o wide -l cloud.google.com/gke-nodepool=${nodePool}`,
      ],
    },
  ];
}
