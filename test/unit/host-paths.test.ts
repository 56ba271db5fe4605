import { describe, expect, test } from 'vitest';
import { classifyHostPath, isWithin, joinPath, normalisePath } from '../../lambda/rules/lib/host-paths.ts';

describe('normalisePath', () => {
  test.each([
    ['//var//run/docker.sock', '/var/run/docker.sock'],
    ['/var/run/docker.sock/', '/var/run/docker.sock'],
    ['/var/run/./docker.sock', '/var/run/docker.sock'],
    ['/var/lib/../run/docker.sock', '/var/run/docker.sock'],
    ['/var/run/../../..', '/'],
    ['/', '/'],
    ['  /var/run  ', '/var/run'],
    ['\\\\.\\pipe\\docker_engine', '\\\\.\\pipe\\docker_engine'],
    ['//./pipe/docker_engine', '\\\\.\\pipe\\docker_engine'],
    ['\\\\.\\pipe\\Docker_Engine\\', '\\\\.\\pipe\\docker_engine'],
    ['C:\\ProgramData\\docker\\', 'c:/programdata/docker'],
  ])('%s → %s', (raw, expected) => {
    expect(normalisePath(raw)).toBe(expected);
  });

  test('joins a subPath and normalises the result', () => {
    expect(joinPath('/var/run', 'docker.sock')).toBe('/var/run/docker.sock');
    expect(joinPath('/var/run/', './sub/../docker.sock')).toBe('/var/run/docker.sock');
  });

  test('containment is by whole path segments', () => {
    expect(isWithin('/var/run/docker.sock', '/var/run')).toBe(true);
    expect(isWithin('/var/runtime', '/var/run')).toBe(false);
    expect(isWithin('/anything', '/')).toBe(true);
  });
});

describe('classifyHostPath', () => {
  test.each([
    ['/var/run/docker.sock', 'docker-socket'],
    ['/run/docker.sock', 'docker-socket'],
    ['/run/user/1000/docker.sock', 'docker-socket'],
    ['/var/run/dockershim.sock', 'docker-socket'],
    ['/var/run/cri-dockerd.sock', 'docker-socket'],
    ['/run/cri-dockerd.sock', 'docker-socket'],
    ['\\\\.\\pipe\\docker_engine', 'docker-socket'],
    ['/var/someplace/else/docker.sock', 'docker-socket'],
    ['/', 'socket-parent'],
    ['/var', 'socket-parent'],
    ['/run', 'socket-parent'],
    ['/var/run', 'socket-parent'],
    ['/run/user/1000', 'socket-parent'],
    ['/var/run/docker', 'docker-state'],
    ['/run/docker/plugins', 'docker-state'],
    ['/var/run/docker/containerd/containerd.sock', 'docker-state'],
    ['/var/lib/docker', 'docker-data'],
    ['/var/lib/docker/overlay2', 'docker-data'],
    ['/var/lib', 'docker-data'],
    ['/var/lib/dockershim', 'docker-data'],
    ['c:/programdata/docker', 'docker-data'],
    ['/var/lib/docker/containers', 'docker-logs'],
    ['/var/lib/docker/containers/abc', 'docker-logs'],
    ['/etc/docker', 'docker-config'],
    ['/etc/docker/daemon.json', 'docker-config'],
    ['/run/containerd/containerd.sock', 'other-runtime-socket'],
    ['/var/run/crio/crio.sock', 'other-runtime-socket'],
    ['/run/podman/podman.sock', 'other-runtime-socket'],
    ['/run/k3s/containerd/containerd.sock', 'other-runtime-socket'],
  ])('%s is %s', (path, expected) => {
    expect(classifyHostPath(path)).toBe(expected);
  });

  test.each([
    '/var/run/scope',
    '/var/run/scope/plugins',
    '/run/flannel',
    '/var/run/containerd',
    '/run/xtables.lock',
    '/var/runtime',
    '/var/lib/docker-volumes',
    '/var/lib/dockerd',
    '/var/lib/kubelet',
    '/var/lib/containerd',
    '/var/log',
    '/var/log/pods',
    '/etc',
    '/sys',
    '/proc',
    '/var/run/cdi',
    '/run/nvidia/driver',
    '/var/lib/kubelet/plugins/csi.sock',
  ])('%s has nothing to do with Docker Engine', (path) => {
    expect(['unrelated', 'other-runtime-socket']).toContain(classifyHostPath(path));
  });
});
