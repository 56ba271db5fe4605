import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ClusterAudit } from '../../lambda/audit/cluster-audit.ts';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import { eksEndpoint } from '../../lambda/collect/kube/eks-endpoint.ts';
import { EKS_TOKEN_PREFIX, eksToken } from '../../lambda/collect/kube/eks-token.ts';
import { eksClusterSource } from '../../lambda/collect/sources.ts';
import { type FakeAws, startFakeAws } from '../helpers/fake-aws.ts';
import { demoObjects, FAST_RETRY } from '../helpers/live.ts';
import { ApiServerSimulator } from '../simulator/api-server.ts';
import { clusterFromObjects } from '../simulator/cluster-data.ts';
import { checkEksToken } from '../simulator/eks-token-check.ts';

const LAMBDA_KEYS = { accessKeyId: 'AKIAAUDITLAMBDA00001', secretAccessKey: 'lambda-secret' };
const ROLE_KEYS = {
  accessKeyId: 'ASIAAUDITROLE0000001',
  secretAccessKey: 'role-secret',
  sessionToken: 'role-session',
};
const ROLE_ARN = 'arn:aws:iam::210987654321:role/dockershim-audit-reader';
const identities = new Map([
  [
    LAMBDA_KEYS.accessKeyId,
    {
      secretAccessKey: LAMBDA_KEYS.secretAccessKey,
      arn: 'arn:aws:sts::123456789012:assumed-role/audit-fn/fn',
    },
  ],
  [
    ROLE_KEYS.accessKeyId,
    {
      secretAccessKey: ROLE_KEYS.secretAccessKey,
      arn: `${ROLE_ARN.replace(':role/', ':assumed-role/')}/dockershim-audit`,
    },
  ],
]);

let aws: FakeAws;
let cluster: ApiServerSimulator;
let clock = new Date('2026-11-22T03:00:00Z');
const previousEnv = { ...process.env };

beforeAll(async () => {
  aws = await startFakeAws();
  cluster = await ApiServerSimulator.start({
    data: clusterFromObjects(demoObjects()),
    eks: { clusterName: 'prod-eks', credentials: identities, now: () => clock },
  });
  aws.state.eksClusters.set('prod-eks', { endpoint: cluster.url, caPem: cluster.caPem });
  aws.state.roles.set(ROLE_ARN, ROLE_KEYS);
  // The real SDK clients, pointed at the loopback AWS.
  process.env.AWS_ENDPOINT_URL = aws.url;
  process.env.AWS_ACCESS_KEY_ID = LAMBDA_KEYS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = LAMBDA_KEYS.secretAccessKey;
  process.env.AWS_REGION = 'eu-west-1';
});
afterAll(async () => {
  process.env = previousEnv;
  await cluster.close();
  await aws.close();
});

describe('EKS bearer tokens, as aws eks get-token makes them', () => {
  test('a presigned STS GetCallerIdentity URL with a signed x-k8s-aws-id header', async () => {
    const { token } = await eksToken({
      clusterName: 'prod-eks',
      region: 'eu-west-1',
      credentials: LAMBDA_KEYS,
      now: clock,
    });
    expect(token.startsWith(EKS_TOKEN_PREFIX)).toBe(true);
    expect(token).not.toMatch(/=$/);
    const url = new URL(Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), 'base64url').toString());
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(
      checkEksToken(token, { clusterName: 'prod-eks', credentials: identities, now: () => clock }),
    ).toMatchObject({ ok: true });
  });

  test('the check refuses what aws-iam-authenticator refuses', async () => {
    const { token } = await eksToken({
      clusterName: 'prod-eks',
      region: 'eu-west-1',
      credentials: LAMBDA_KEYS,
      now: clock,
    });
    const check = { clusterName: 'prod-eks', credentials: identities, now: () => clock };
    expect(checkEksToken(token, { ...check, clusterName: 'other-cluster' })).toEqual({
      ok: false,
      reason: 'signature does not match',
    });
    expect(
      checkEksToken(token, { ...check, now: () => new Date(clock.getTime() + 16 * 60_000) }),
    ).toMatchObject({ ok: false, reason: expect.stringContaining('expired') });
    const tampered = `${EKS_TOKEN_PREFIX}${Buffer.from(Buffer.from(token.slice(11), 'base64url').toString().replace('GetCallerIdentity', 'AssumeRole')).toString('base64url')}`;
    expect(checkEksToken(tampered, check)).toEqual({ ok: false, reason: 'unexpected action' });
    expect(checkEksToken('k8s-aws-v1.aHR0cHM6Ly9ldmlsLmV4YW1wbGUvPw', check)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('unexpected hostname'),
    });
  });
});

describe('auditing an EKS cluster through IAM', () => {
  const read = async (roleArn?: string) => {
    const source = eksClusterSource(
      'prod',
      { clusterName: 'prod-eks', region: 'eu-west-1', ...(roleArn && { roleArn }) },
      { configMapNames: ['workflow-controller-configmap'], retry: FAST_RETRY },
      { now: () => clock },
    );
    const audit = new ClusterAudit('prod', defaultPolicy(clock));
    const outcome = await source.collect(audit);
    return audit.finish(source.describe(), outcome);
  };

  test('endpoint and CA from DescribeCluster, every request signed for the cluster: complete', async () => {
    const report = await read();
    expect(report.status).toBe('complete');
    expect(report.source).toMatchObject({
      type: 'kubernetes',
      server: cluster.url,
      identity: 'IAM identity of the audit',
    });
    expect(report.findings.length).toBeGreaterThan(20);
    expect(new Set(cluster.requests.filter((r) => r.path !== '/version').map((r) => r.user))).toEqual(
      new Set(['arn:aws:sts::123456789012:assumed-role/audit-fn/fn']),
    );
  });

  test('a role in another account is assumed first, and its identity reads the cluster', async () => {
    const before = cluster.requests.length;
    const report = await read(ROLE_ARN);
    expect(report.status).toBe('complete');
    expect(aws.state.calls.some((call) => call.action === 'AssumeRole' && call.target === ROLE_ARN)).toBe(
      true,
    );
    const users = new Set(
      cluster.requests
        .slice(before)
        .filter((r) => r.path !== '/version')
        .map((r) => r.user),
    );
    expect(users).toEqual(new Set([`${ROLE_ARN.replace(':role/', ':assumed-role/')}/dockershim-audit`]));
  });

  test('the token is renewed before the authenticator would reject it', async () => {
    const endpoint = await eksEndpoint(
      { clusterName: 'prod-eks', region: 'eu-west-1' },
      { now: () => clock },
    );
    const first = await endpoint.authorize();
    clock = new Date(clock.getTime() + 5 * 60_000);
    expect(await endpoint.authorize()).toEqual(first);
    clock = new Date(clock.getTime() + 6 * 60_000);
    const renewed = await endpoint.authorize();
    expect(renewed).not.toEqual(first);
    expect(
      checkEksToken(String(renewed.Authorization).slice(7), {
        clusterName: 'prod-eks',
        credentials: identities,
        now: () => new Date(clock.getTime() + 10 * 60_000),
      }),
    ).toMatchObject({ ok: true });
    endpoint.close();
  });

  test('a cluster that does not exist fails with what the function needs', async () => {
    const source = eksClusterSource(
      'ghost',
      { clusterName: 'ghost', region: 'eu-west-1' },
      { configMapNames: [] },
    );
    const audit = new ClusterAudit('ghost', defaultPolicy(clock));
    const outcome = await source.collect(audit);
    const report = audit.finish(source.describe(), outcome);
    expect(report.status).toBe('failed');
    expect(report.errors.at(-1)?.message).toMatch(
      /cannot describe EKS cluster ghost in eu-west-1: .*No cluster found.*eks:DescribeCluster/,
    );
  });
});
