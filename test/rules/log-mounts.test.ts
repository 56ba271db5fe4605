import { describe, expect, test } from 'vitest';
import { audit, daemonSet, podSpec, rulesFound, verdictOf } from '../helpers/objects.ts';

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
