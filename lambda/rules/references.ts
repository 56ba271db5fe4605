/** Reference links shared by several rules. */
export const References = {
  identifyDockerDependency:
    'https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/migrating-telemetry-and-security-agents/#identify-docker-dependency',
  checkIfAffected:
    'https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/check-if-dockershim-removal-affects-you/',
  findRuntime:
    'https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/find-out-runtime-you-use/',
  changeRuntimeToContainerd:
    'https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/change-runtime-containerd/',
  migrateToCriDockerd:
    'https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/migrate-dockershim-dockerd/',
  dockershimFaq: 'https://kubernetes.io/blog/2022/02/17/dockershim-faq/',
  criDockerd: 'https://github.com/Mirantis/cri-dockerd',
  containerRuntimes: 'https://kubernetes.io/docs/setup/production-environment/container-runtimes/',
  loggingArchitecture: 'https://kubernetes.io/docs/concepts/cluster-administration/logging/',
  argoExecutors: 'https://argo-workflows.readthedocs.io/en/latest/workflow-executors/',
  signalfxKubeletMetrics:
    'https://github.com/signalfx/signalfx-agent/blob/main/docs/monitors/kubelet-metrics.md',
  agentMigration:
    'https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/migrating-telemetry-and-security-agents/',
} as const;
