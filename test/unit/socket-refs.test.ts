import { describe, expect, test } from 'vitest';
import {
  dockerSocketPathsIn,
  excerpt,
  networkEndpointsIn,
  otherRuntimeSocketPathsIn,
} from '../../lambda/rules/lib/socket-refs.ts';

const paths = (text: string) => dockerSocketPathsIn(text).map((ref) => ref.path);

describe('Docker sockets named in text', () => {
  test.each([
    ['unix:///var/run/docker.sock', ['/var/run/docker.sock']],
    ['unix:///host/var/run/docker.sock', ['/host/var/run/docker.sock']],
    ['/var/run/docker.sock', ['/var/run/docker.sock']],
    ['--docker=unix:///var/run/docker.sock', ['/var/run/docker.sock']],
    ['-v /var/run/docker.sock:/var/run/docker.sock', ['/var/run/docker.sock']],
    ['--container-runtime-endpoint=unix:///var/run/dockershim.sock', ['/var/run/dockershim.sock']],
    ['npipe:////./pipe/docker_engine', ['\\\\.\\pipe\\docker_engine']],
    ['\\\\.\\pipe\\docker_engine', ['\\\\.\\pipe\\docker_engine']],
    ['export DOCKER_HOST=unix:///run/user/1000/docker.sock && docker ps', ['/run/user/1000/docker.sock']],
    ['unix://var/run/docker.sock', ['/var/run/docker.sock']],
    ['unix:///var/run/docker.sock/', ['/var/run/docker.sock']],
    ['UNIX:///var/run/docker.sock', ['/var/run/docker.sock']],
    ['npipe:\\\\.\\pipe\\docker_engine', ['\\\\.\\pipe\\docker_engine']],
  ])('%s', (text, expected) => {
    expect(paths(text)).toEqual(expected);
  });

  test.each([
    'unix:///run/containerd/containerd.sock',
    'unix:///csi/csi.sock',
    'unix://csi/csi.sock',
    'unix:///var/run/docker.sock.bak',
    'unix:///var/run/docker.sock?mode=ro',
    'npipe:////./pipe/containerd-containerd',
    '--client-socket=unix:///run/falco/falco.sock',
    'Parser docker',
    'docker.io/library/nginx:1.25',
    '^/(dev|proc|sys|var/lib/docker/.+)($|/)',
    '/var/run/datadog/dsd.socket',
  ])('%s names no Docker socket', (text) => {
    expect(paths(text)).toEqual([]);
  });

  test('other runtimes are told apart', () => {
    expect(
      otherRuntimeSocketPathsIn('sockets: [/run/containerd/containerd.sock, /var/run/crio/crio.sock]'),
    ).toEqual(['/run/containerd/containerd.sock', '/var/run/crio/crio.sock']);
  });

  test('tcp endpoints with host and port, including $(VAR) hosts', () => {
    expect(networkEndpointsIn('tcp://localhost:2376')).toMatchObject([{ host: 'localhost', port: 2376 }]);
    expect(networkEndpointsIn('tcp://$(HOST_IP):2375')).toMatchObject([{ host: '$(HOST_IP)', port: 2375 }]);
    expect(networkEndpointsIn('tcp://[::1]:2375')).toMatchObject([{ host: '::1', port: 2375 }]);
    expect(networkEndpointsIn('-H ssh://me@build-host')).toMatchObject([
      { transport: 'ssh', host: 'build-host', port: 22 },
    ]);
  });

  test('a unix URL in parentheses or a sentence ends where the URL does', () => {
    expect(paths('(see unix:///var/run/docker.sock)')).toEqual(['/var/run/docker.sock']);
    expect(paths('socket: unix:///var/run/docker.sock, timeout: 5s')).toEqual(['/var/run/docker.sock']);
  });

  test('evidence excerpts keep the line that matters and mask credentials', () => {
    const script = 'set -e\ndocker -H tcp://user:secret@dind:2375 build .\necho done';
    expect(excerpt(script, 'tcp://')).toBe('docker -H tcp://***@dind:2375 build .');
    expect(excerpt('x'.repeat(500), 'x').length).toBeLessThanOrEqual(200);
  });
});
