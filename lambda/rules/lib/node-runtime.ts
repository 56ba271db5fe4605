import { annotationsOf, asString, dig, type KubeObject, nameOf } from '../../kube/objects.ts';
import type { Evidence } from '../rule.ts';
import { perObject } from './memoise.ts';

/** The annotation kubeadm keeps the node's CRI socket in; `kubeadm upgrade` reads it. */
export const KUBEADM_CRI_SOCKET_ANNOTATION = 'kubeadm.alpha.kubernetes.io/cri-socket';

/** What a Node says about its runtime, from `status.nodeInfo` and its annotations. */
export interface NodeRuntime {
  name: string;
  /** Scheme of containerRuntimeVersion: docker, containerd, cri-o, ... or unknown. */
  runtime: string;
  runtimeVersion: string;
  kubeletVersion: string;
  criSocketAnnotation?: string;
  /** containerRuntimeEndpoint from the kubelet's configz, when the audit was allowed to read it. */
  kubeletRuntimeEndpoint?: string;
  /** Docker Engine runs the node's containers (through dockershim or cri-dockerd). */
  dockerEngine: boolean;
  /** Docker Engine through the kubelet's built-in dockershim (kubelet before 1.24). */
  dockershim: boolean;
}

/** Read once per Node object, however many rules ask. */
export const nodeRuntimeOf = perObject((node: KubeObject): NodeRuntime => {
  const info = dig(node, 'status', 'nodeInfo');
  const runtimeString = asString(dig(info, 'containerRuntimeVersion')) ?? '';
  const separator = runtimeString.indexOf('://');
  const runtime = separator > 0 ? runtimeString.slice(0, separator).toLowerCase() : 'unknown';
  const runtimeVersion = separator > 0 ? runtimeString.slice(separator + 3) : runtimeString;
  const kubeletVersion = asString(dig(info, 'kubeletVersion')) ?? '';
  const criSocketAnnotation = asString(annotationsOf(node)[KUBEADM_CRI_SOCKET_ANNOTATION]);
  const kubeletRuntimeEndpoint = asString(dig(node, 'kubeletConfig', 'containerRuntimeEndpoint'));
  const dockerEngine = runtime === 'docker';
  const minor = kubeletMinorVersion(kubeletVersion);
  // Docker with kubelet 1.24+ can only be cri-dockerd. With an unknown kubelet version, the
  // kubelet's own config or the kubeadm annotation decides; without either, dockershim is
  // the safer assumption for an audit.
  const namesCriDockerd = `${kubeletRuntimeEndpoint ?? ''} ${criSocketAnnotation ?? ''}`.includes(
    'cri-dockerd',
  );
  const dockershim = dockerEngine && (minor !== undefined ? minor < 24 : !namesCriDockerd);
  const result: NodeRuntime = {
    name: nameOf(node) ?? '',
    runtime,
    runtimeVersion,
    kubeletVersion,
    dockerEngine,
    dockershim,
  };
  if (criSocketAnnotation !== undefined) result.criSocketAnnotation = criSocketAnnotation;
  if (kubeletRuntimeEndpoint !== undefined) result.kubeletRuntimeEndpoint = kubeletRuntimeEndpoint;
  return result;
});

/** `v1.23.17-eks-a5565ad` → 23; a major version above 1 counts as a minor version after 24. */
export function kubeletMinorVersion(version: string): number | undefined {
  const match = /^v?(\d+)\.(\d+)/.exec(version.trim());
  if (!match) return undefined;
  const major = Number(match[1]);
  return major > 1 ? Number.POSITIVE_INFINITY : Number(match[2]);
}

/** What node findings show: the node, its runtime and kubelet, and the kubeadm annotation when set. */
export function nodeEvidence(runtime: NodeRuntime): Evidence {
  const evidence: Evidence = {
    node: runtime.name,
    runtime: `${runtime.runtime}://${runtime.runtimeVersion}`,
    kubeletVersion: runtime.kubeletVersion,
  };
  if (runtime.criSocketAnnotation !== undefined) {
    evidence.annotation = `${KUBEADM_CRI_SOCKET_ANNOTATION}=${runtime.criSocketAnnotation}`;
  }
  if (runtime.kubeletRuntimeEndpoint !== undefined)
    evidence.kubeletRuntimeEndpoint = runtime.kubeletRuntimeEndpoint;
  return evidence;
}
