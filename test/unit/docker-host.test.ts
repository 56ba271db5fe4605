import { describe, expect, test } from 'vitest';
import { type DockerHost, parseDockerHost } from '../../lambda/rules/lib/docker-host.ts';

/**
 * Every spelling below is one that a Docker client accepts (docker CLI's opts.ParseHost, moby's
 * client.ParseHostURL, docker-py's parse_host), with what that client connects to.
 */
describe("Docker endpoint values, read by the Docker clients' rules", () => {
  test.each<[string, DockerHost]>([
    ['unix:///var/run/docker.sock', { transport: 'unix', path: '/var/run/docker.sock' }],
    // docker-py: "unix://path is valid and equivalent to unix:///path"; Go resolves it from the working directory.
    ['unix://var/run/docker.sock', { transport: 'unix', path: '/var/run/docker.sock' }],
    // docker-py strips trailing slashes.
    ['unix:///var/run/docker.sock/', { transport: 'unix', path: '/var/run/docker.sock' }],
    ['unix:///var/run//docker.sock', { transport: 'unix', path: '/var/run/docker.sock' }],
    // docker CLI: an empty address is the scheme's default.
    ['unix://', { transport: 'unix', path: '/var/run/docker.sock' }],
    ['  unix:///run/docker.sock\n', { transport: 'unix', path: '/run/docker.sock' }],
    ['npipe:////./pipe/docker_engine', { transport: 'npipe', path: '\\\\.\\pipe\\docker_engine' }],
    ['npipe://', { transport: 'npipe', path: '\\\\.\\pipe\\docker_engine' }],
    ['npipe:\\\\.\\pipe\\docker_engine', { transport: 'npipe', path: '\\\\.\\pipe\\docker_engine' }],
    ['tcp://10.0.0.5:2376', { transport: 'tcp', host: '10.0.0.5', port: 2376 }],
    // docker CLI adds the default port; url.Parse drops path, query and fragment.
    ['tcp://docker', { transport: 'tcp', host: 'docker', port: 2375 }],
    ['tcp://docker:2375/', { transport: 'tcp', host: 'docker', port: 2375 }],
    ['tcp://docker:2376/v1.41?tls=1#x', { transport: 'tcp', host: 'docker', port: 2376 }],
    ['tcp://user:secret@docker:2375', { transport: 'tcp', host: 'docker', port: 2375 }],
    ['tcp://[::1]:2375', { transport: 'tcp', host: '::1', port: 2375 }],
    ['tcp://$(HOST_IP):2375', { transport: 'tcp', host: '$(HOST_IP)', port: 2375 }],
    // docker CLI: an empty host is localhost, an empty address the default TCP host.
    ['tcp://:2375', { transport: 'tcp', host: 'localhost', port: 2375 }],
    ['tcp://', { transport: 'tcp', host: 'localhost', port: 2375 }],
    ['TCP://docker:2375', { transport: 'tcp', host: 'docker', port: 2375 }],
    ['ssh://me@build-host', { transport: 'ssh', host: 'build-host', port: 22 }],
    ['ssh://build-host:2222', { transport: 'ssh', host: 'build-host', port: 2222 }],
  ])('%j', (value, expected) => {
    expect(parseDockerHost(value)).toEqual(expected);
  });

  test.each<[string, DockerHost]>([
    // docker CLI: no scheme is TCP (with the default port), or a unix socket for a path.
    ['10.0.0.5:2375', { transport: 'tcp', host: '10.0.0.5', port: 2375 }],
    ['docker', { transport: 'tcp', host: 'docker', port: 2375 }],
    ['/var/run/docker.sock', { transport: 'unix', path: '/var/run/docker.sock' }],
    ['\\\\.\\pipe\\docker_engine', { transport: 'npipe', path: '\\\\.\\pipe\\docker_engine' }],
    // docker-py accepts http(s) for TCP.
    ['http://docker:2375', { transport: 'tcp', host: 'docker', port: 2375 }],
    ['https://docker:2376', { transport: 'tcp', host: 'docker', port: 2376 }],
  ])('as a whole DOCKER_HOST value: %j', (value, expected) => {
    expect(parseDockerHost(value, { wholeValue: true })).toEqual(expected);
  });

  test.each([
    // Only the daemon listens on fd://; no client connects to it.
    'fd://',
    'tcp://docker:notaport',
    'unix://tcp://docker',
    'npipe:////./notapipe/docker_engine',
    'ssh://',
    'containerd://x',
    'http://docker:2375',
    'docker:2375',
    '',
  ])('%j is not a Docker endpoint outside a DOCKER_HOST value', (value) => {
    expect(parseDockerHost(value)).toBeUndefined();
  });

  test('a unix address is a literal path for every client: a query string is part of it', () => {
    expect(parseDockerHost('unix:///var/run/docker.sock?ro')).toEqual({
      transport: 'unix',
      path: '/var/run/docker.sock?ro',
    });
  });
});
