import { describe, expect, test } from 'vitest';
import { audit, daemonSet, findingsOf, podSpec, rulesFound, verdictOf } from '../helpers/objects.ts';

const collector = (hostPaths: Record<string, string>) =>
  daemonSet(
    'log-shipper',
    podSpec({
      hostPaths,
      containers: [
        {
          name: 'shipper',
          mounts: Object.entries(hostPaths).map(([volume, path]) => ({ volume, at: path, readOnly: true })),
        },
      ],
    }),
  );

describe("DS006/DS007 Docker's json-file log directory", () => {
  test('alone, it is all the collector reads: medium (DS006)', () => {
    const report = audit([collector({ logs: '/var/lib/docker/containers' })]);
    expect(rulesFound(report)).toEqual(['DS006']);
    expect(verdictOf(report, 'DaemonSet/default/log-shipper')).toBe('medium');
  });

  test.each(['/var/log', '/var/log/pods', '/var/log/containers'])(
    'beside %s it is vestigial: low (DS007)',
    (criPath) => {
      const report = audit([collector({ logs: '/var/lib/docker/containers', cri: criPath })]);
      expect(rulesFound(report)).toEqual(['DS007']);
      expect(verdictOf(report, 'DaemonSet/default/log-shipper')).toBe('low');
    },
  );

  test('a volume named like Docker logs that points at /var/log/pods is nothing', () => {
    expect(audit([collector({ dockercontainerlogdirectory: '/var/log/pods' })]).findings).toEqual([]);
  });

  test("Docker's whole data root is DS003, not a log rule", () => {
    expect(rulesFound(audit([collector({ docker: '/var/lib/docker', log: '/var/log' })]))).toEqual(['DS003']);
  });
});

describe('a read-only /var/lib beside the CRI log paths is graded like the Docker log directory', () => {
  const shipper = (mounts: Array<{ path: string; readOnly: boolean }>) =>
    daemonSet(
      'vector',
      podSpec({
        hostPaths: Object.fromEntries(mounts.map(({ path }, index) => [`v${index}`, path])),
        containers: [
          {
            name: 'vector',
            mounts: mounts.map(({ path, readOnly }, index) => ({ volume: `v${index}`, at: path, readOnly })),
          },
        ],
      }),
    );

  test.each(['/var/log', '/var/log/', '/var/log/pods', '/var/log/containers'])(
    'beside %s: low (DS007), with the reason in the message',
    (criPath) => {
      const report = audit([
        shipper([
          { path: criPath, readOnly: true },
          { path: '/var/lib/', readOnly: true },
        ]),
      ]);
      expect(rulesFound(report)).toEqual(['DS007']);
      expect(verdictOf(report, 'DaemonSet/default/vector')).toBe('low');
      const [finding] = findingsOf(report, 'DS007');
      expect(finding?.evidence).toMatchObject({ hostPath: '/var/lib', readOnly: true });
      expect(finding?.message).toMatch(/follow \/var\/log\/pods into Docker's container logs/);
    },
  );

  test.each([
    [
      'writable, beside /var/log',
      [
        { path: '/var/log', readOnly: true },
        { path: '/var/lib', readOnly: false },
      ],
    ],
    ['read-only, with no CRI log path', [{ path: '/var/lib', readOnly: true }]],
    [
      'read-only, beside an unrelated /var/log subfolder',
      [
        { path: '/var/log/journal', readOnly: true },
        { path: '/var/lib', readOnly: true },
      ],
    ],
  ])("%s it stays a mount of Docker's data root (DS003, medium)", (_, mounts) => {
    const report = audit([shipper(mounts)]);
    expect(rulesFound(report)).toEqual(['DS003']);
    expect(verdictOf(report, 'DaemonSet/default/vector')).toBe('medium');
  });

  test("Docker's own data root stays medium beside the CRI log paths", () => {
    const report = audit([
      shipper([
        { path: '/var/log', readOnly: true },
        { path: '/var/lib/docker', readOnly: true },
      ]),
    ]);
    expect(rulesFound(report)).toEqual(['DS003']);
  });
});
