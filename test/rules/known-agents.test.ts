import { describe, expect, test } from 'vitest';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import { applyPolicyConfig, parsePolicyConfig } from '../../lambda/config/audit-config.ts';
import { imageRepository } from '../../lambda/rules/agents/agent-catalog.ts';
import { audit, daemonSet, findingsOf, podSpec, rulesFound } from '../helpers/objects.ts';

describe('DS030 known agents (vendor guidance as data)', () => {
  test('an agent with no Docker evidence gets an info finding with the guidance', () => {
    const report = audit([
      daemonSet('datadog-agent', podSpec({ containers: [{ image: 'gcr.io/datadoghq/agent:7.50.0' }] })),
    ]);
    const [finding] = findingsOf(report, 'DS030');
    expect(finding?.severity).toBe('info');
    expect(finding?.agent).toMatchObject({
      vendor: 'Datadog',
      references: ['https://docs.datadoghq.com/agent/guide/docker-deprecation/'],
    });
  });

  test('with Docker evidence, the guidance rides on the findings and DS030 is dropped', () => {
    const spec = podSpec({
      hostPaths: { s: '/var/run/docker.sock' },
      containers: [
        { image: 'twistlock/defender:22_06', mounts: [{ volume: 's', at: '/var/run/docker.sock' }] },
      ],
    });
    const report = audit([daemonSet('twistlock-defender-ds', spec, 'twistlock')]);
    expect(rulesFound(report)).toEqual(['DS001']);
    expect(findingsOf(report, 'DS001')[0]?.agent?.guidance).toContain('--cri');
    expect(report.workloads[0]?.agent).toEqual({
      vendor: 'Palo Alto Networks',
      product: 'Prisma Cloud Compute Defender (Twistlock)',
    });
  });

  test.each([
    ['falco-exporter', 'The Falco Project'],
    ['dd-agent', 'Datadog'],
    ['dynatrace-oneagent', 'Dynatrace'],
    ['signalfx-agent', 'Splunk'],
    ['kubectl-flame', 'Yahoo'],
  ])('the name %s is recognised as %s', (name, vendor) => {
    const report = audit([daemonSet(name, podSpec({ containers: [{ image: 'registry.example/x:1' }] }))]);
    expect(findingsOf(report, 'DS030').map((finding) => finding.agent?.vendor)).toEqual([vendor]);
  });

  test('names match whole tokens: falcon is not falco', () => {
    expect(
      audit([daemonSet('falcon-api', podSpec({ containers: [{ image: 'example/falcon:1' }] }))]).findings,
    ).toEqual([]);
  });

  test('users add their own signatures in config', () => {
    const config = parsePolicyConfig(
      {
        agents: [
          {
            id: 'acme',
            vendor: 'ACME',
            product: 'Sensor',
            names: [],
            images: ['acme/sensor'],
            guidance: 'Use sensor 5.',
            references: [],
          },
        ],
      },
      'policy.yaml',
    );
    const policy = applyPolicyConfig(defaultPolicy(), config);
    const report = audit(
      [
        daemonSet(
          'whatever',
          podSpec({ containers: [{ image: 'registry.acme.io/acme/sensor:4.2@sha256:abc' }] }),
        ),
      ],
      policy,
    );
    expect(findingsOf(report, 'DS030')[0]?.agent?.vendor).toBe('ACME');
  });

  test('image repositories ignore registry ports, tags and digests', () => {
    expect(imageRepository('registry:5000/org/repo:1.2@sha256:ff')).toBe('registry:5000/org/repo');
    expect(imageRepository('nginx')).toBe('nginx');
  });
});
