import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../lambda/config/errors.ts';
import { parseAuditServiceConfig } from '../../lambda/config/lambda-config.ts';

describe('the Lambda configuration document', () => {
  test('cluster entries of both types, with defaults', () => {
    const config = parseAuditServiceConfig(
      JSON.stringify({
        clusters: [
          {
            name: 'prod-eu',
            type: 'eks',
            clusterName: 'prod',
            region: 'eu-west-1',
            roleArn: 'arn:aws:iam::123456789012:role/audit',
          },
          {
            name: 'gke',
            type: 'kubeconfig',
            secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gke-AbC',
            context: 'gke_p_z_c',
          },
          { name: 'aks', type: 'kubeconfig', parameterName: '/audit/aks' },
        ],
      }),
      'DOCKERSHIM_AUDIT_CONFIG',
    );
    expect(config.clusters).toHaveLength(3);
    expect(config).toMatchObject({
      clusterConcurrency: 4,
      clusterTimeoutSeconds: 600,
      readKubeletConfig: false,
      maxResponseMegabytes: 64,
    });
  });

  test.each([
    ['{', 'not valid JSON'],
    [{}, 'clusters must be a non-empty list'],
    [{ clusters: [{ name: 'x', type: 'gke' }] }, 'clusters[0] (x).type must be "eks" or "kubeconfig"'],
    [{ clusters: [{ name: 'x', type: 'eks', clusterName: 'c' }] }, 'clusters[0].region is required'],
    [
      { clusters: [{ name: 'x', type: 'eks', clusterName: 'c', region: 'mars-1' }] },
      'clusters[0].region is not valid',
    ],
    [
      { clusters: [{ name: 'x', type: 'eks', clusterName: 'c', region: 'eu-west-1', roleArn: 'admin' }] },
      'roleArn is not valid',
    ],
    [{ clusters: [{ name: 'x', type: 'kubeconfig' }] }, 'needs exactly one of secretArn and parameterName'],
    [
      {
        clusters: [
          {
            name: 'x',
            type: 'kubeconfig',
            parameterName: '/a',
            secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:a',
          },
        ],
      },
      'exactly one',
    ],
    [
      { clusters: [{ name: 'x', type: 'eks', clusterName: 'c', region: 'eu-west-1', token: 'abc' }] },
      'unknown field token',
    ],
    [
      {
        clusters: [
          { name: 'a', type: 'kubeconfig', parameterName: '/a' },
          { name: 'a', type: 'kubeconfig', parameterName: '/b' },
        ],
      },
      'two clusters are named "a"',
    ],
    [
      { clusters: [{ name: 'a b', type: 'kubeconfig', parameterName: '/a' }] },
      'clusters[0].name is not valid',
    ],
    [
      { clusters: [{ name: 'a', type: 'kubeconfig', parameterName: '/a' }], clusterConcurrency: 0 },
      'clusterConcurrency must be an integer from 1 to 64',
    ],
    [
      { clusters: [{ name: 'a', type: 'kubeconfig', parameterName: '/a' }], maxResponseMegabytes: 1024 },
      'maxResponseMegabytes must be an integer from 1 to 256',
    ],
    [
      { clusters: [{ name: 'a', type: 'kubeconfig', parameterName: '/a' }], maxResponseMegabytes: '64' },
      'maxResponseMegabytes must be an integer from 1 to 256',
    ],
    [
      { clusters: [{ name: 'a', type: 'kubeconfig', parameterName: '/a' }], colour: 'blue' },
      'unknown setting colour',
    ],
  ])('%j is refused: %s', (input, message) => {
    expect(() =>
      parseAuditServiceConfig(typeof input === 'string' ? input : JSON.stringify(input), 'config'),
    ).toThrow(ConfigError);
    expect(() =>
      parseAuditServiceConfig(typeof input === 'string' ? input : JSON.stringify(input), 'config'),
    ).toThrow(message);
  });
});
