import { createServer, type Server } from 'node:http';
import { listenOnLoopback, readBody } from './loopback.ts';

/**
 * The few AWS APIs the audit calls, on loopback, speaking each service's own wire protocol so
 * the real SDK clients are used unchanged (pointed here with AWS_ENDPOINT_URL):
 * EKS DescribeCluster (REST JSON), STS AssumeRole (query/XML), Secrets Manager
 * GetSecretValue and SSM GetParameter (JSON 1.1 with X-Amz-Target).
 */
export interface FakeAwsState {
  eksClusters: Map<string, { endpoint: string; caPem: string }>;
  secrets: Map<string, string>;
  parameters: Map<string, string>;
  /** Role ARN → the temporary credentials STS hands out for it. */
  roles: Map<string, { accessKeyId: string; secretAccessKey: string; sessionToken: string }>;
  calls: Array<{ service: string; action: string; target?: string }>;
  /** A cluster name, secret id or parameter name → the error its call gets instead (an AWS error's words). */
  failures: Map<string, { status: number; type: string; message: string }>;
}

export interface FakeAws {
  url: string;
  state: FakeAwsState;
  close(): Promise<void>;
}

export async function startFakeAws(): Promise<FakeAws> {
  const state: FakeAwsState = {
    eksClusters: new Map(),
    secrets: new Map(),
    parameters: new Map(),
    roles: new Map(),
    calls: [],
    failures: new Map(),
  };
  const server: Server = createServer(async (request, response) => {
    const body = await readBody(request);
    const json = (status: number, value: unknown, type = 'application/x-amz-json-1.1') => {
      response.writeHead(status, { 'Content-Type': type });
      response.end(JSON.stringify(value));
    };
    const target = String(request.headers['x-amz-target'] ?? '');
    const fail = (name: string): boolean => {
      const failure = state.failures.get(name);
      if (!failure) return false;
      response.writeHead(failure.status, {
        'Content-Type': 'application/x-amz-json-1.1',
        'x-amzn-ErrorType': failure.type,
      });
      response.end(JSON.stringify({ __type: failure.type, message: failure.message }));
      return true;
    };
    const eks = /^\/clusters\/([^/?]+)/.exec(request.url ?? '');
    if (request.method === 'GET' && eks) {
      const name = decodeURIComponent(eks[1] ?? '');
      state.calls.push({ service: 'eks', action: 'DescribeCluster', target: name });
      if (fail(name)) return;
      const cluster = state.eksClusters.get(name);
      if (!cluster) {
        response.writeHead(404, {
          'Content-Type': 'application/json',
          'x-amzn-ErrorType': 'ResourceNotFoundException',
        });
        return response.end(JSON.stringify({ message: `No cluster found for name: ${name}.` }));
      }
      return json(
        200,
        {
          cluster: {
            name,
            status: 'ACTIVE',
            endpoint: cluster.endpoint,
            certificateAuthority: { data: Buffer.from(cluster.caPem).toString('base64') },
          },
        },
        'application/json',
      );
    }
    if (target === 'secretsmanager.GetSecretValue') {
      const { SecretId } = JSON.parse(body) as { SecretId: string };
      state.calls.push({ service: 'secretsmanager', action: 'GetSecretValue', target: SecretId });
      if (fail(SecretId)) return;
      const secret = state.secrets.get(SecretId);
      if (secret === undefined) {
        response.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.1' });
        return response.end(
          JSON.stringify({
            __type: 'ResourceNotFoundException',
            message: "Secrets Manager can't find the specified secret.",
          }),
        );
      }
      return json(200, { ARN: SecretId, Name: 'kubeconfig', SecretString: secret, VersionId: 'v1' });
    }
    if (target === 'AmazonSSM.GetParameter') {
      const { Name } = JSON.parse(body) as { Name: string };
      state.calls.push({ service: 'ssm', action: 'GetParameter', target: Name });
      if (fail(Name)) return;
      const value = state.parameters.get(Name);
      if (value === undefined) {
        response.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.1' });
        return response.end(JSON.stringify({ __type: 'ParameterNotFound', message: 'Parameter not found.' }));
      }
      return json(200, { Parameter: { Name, Type: 'SecureString', Value: value, Version: 1 } });
    }
    const form = new URLSearchParams(body);
    if (form.get('Action') === 'AssumeRole') {
      const roleArn = form.get('RoleArn') ?? '';
      state.calls.push({ service: 'sts', action: 'AssumeRole', target: roleArn });
      const credentials = state.roles.get(roleArn);
      if (!credentials) {
        response.writeHead(403, { 'Content-Type': 'text/xml' });
        return response.end(
          '<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to assume the role</Message></Error></ErrorResponse>',
        );
      }
      response.writeHead(200, { 'Content-Type': 'text/xml' });
      return response.end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>${credentials.accessKeyId}</AccessKeyId><SecretAccessKey>${credentials.secretAccessKey}</SecretAccessKey><SessionToken>${credentials.sessionToken}</SessionToken><Expiration>${new Date(Date.now() + 3600_000).toISOString()}</Expiration></Credentials>
<AssumedRoleUser><AssumedRoleId>AROA:dockershim-audit</AssumedRoleId><Arn>${roleArn.replace(':role/', ':assumed-role/')}/dockershim-audit</Arn></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`);
    }
    response.writeHead(400, { 'Content-Type': 'application/json' });
    response.end(
      JSON.stringify({ message: `the fake AWS does not serve ${request.method} ${request.url} ${target}` }),
    );
  });
  const { port, close } = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${port}`, state, close };
}
