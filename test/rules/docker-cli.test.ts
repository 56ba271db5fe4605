import { describe, expect, test } from 'vitest';
import { audit, daemonSet, findingsOf, podSpec, rulesFound, verdictOf } from '../helpers/objects.ts';

type Json = Record<string, unknown>;

function hostTool(
  script: string,
  options: { hostPID?: boolean; privileged?: boolean; hostRoot?: boolean } = {},
) {
  const spec = podSpec({
    ...(options.hostRoot && { hostPaths: { root: '/' } }),
    containers: [
      {
        name: 'tool',
        image: 'alpine:3.20',
        command: ['sh', '-c', script],
        ...(options.hostRoot && { mounts: [{ volume: 'root', at: '/host' }] }),
      },
    ],
  });
  if (options.hostPID) spec.hostPID = true;
  if (options.privileged) ((spec.containers as Json[])[0] as Json).securityContext = { privileged: true };
  return daemonSet('node-tool', spec);
}

describe('DS009 runs the docker CLI on the node (medium)', () => {
  test('privileged in the node process namespace, through nsenter', () => {
    const report = audit([
      hostTool('nsenter --target 1 --mount --uts --ipc --net --pid -- docker ps -q | wc -l', {
        hostPID: true,
        privileged: true,
      }),
    ]);
    expect(rulesFound(report)).toEqual(['DS009']);
    expect(verdictOf(report, 'DaemonSet/default/node-tool')).toBe('medium');
    expect(findingsOf(report, 'DS009')[0]?.evidence.arg).toContain('docker ps');
  });

  test("chroot into the node's root filesystem", () => {
    const report = audit([hostTool('chroot /host docker image prune -af', { hostRoot: true })]);
    expect(rulesFound(report)).toEqual(['DS002', 'DS009']);
  });

  test.each([
    ['the docker CLI with no way to the node', 'docker build -t app .', {}],
    ['crictl on the node', 'nsenter --target 1 --mount -- crictl ps', { hostPID: true, privileged: true }],
    [
      'the word docker in a message',
      'echo "migrated off docker engine"',
      { hostPID: true, privileged: true },
    ],
    ['host PID without privilege', 'docker ps', { hostPID: true }],
  ])('does not fire for %s', (_, script, options) => {
    expect(findingsOf(audit([hostTool(script, options)]), 'DS009')).toEqual([]);
  });
});

describe('Windows nodes', () => {
  test("Docker's named pipe beside containerd's is a multi-runtime agent (low)", () => {
    const spec = podSpec({
      hostPaths: { docker: '\\\\.\\pipe\\docker_engine', containerd: '\\\\.\\pipe\\containerd-containerd' },
      containers: [
        {
          mounts: [
            { volume: 'docker', at: '\\\\.\\pipe\\docker_engine' },
            { volume: 'containerd', at: '\\\\.\\pipe\\containerd-containerd' },
          ],
        },
      ],
    });
    expect(rulesFound(audit([daemonSet('win-agent', spec)]))).toEqual(['DS005']);
  });
});
