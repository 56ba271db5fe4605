import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { auditLive, demoObjects, FAST_RETRY } from '../helpers/live.ts';
import { runCli } from '../helpers/run-cli.ts';
import { ApiServerSimulator } from '../simulator/api-server.ts';
import { clusterFromObjects } from '../simulator/cluster-data.ts';
import { writeKubeconfig } from '../simulator/kubeconfig.ts';

/** An OIDC id-token as an identity provider signs it; the client reads only its expiry. */
const ID_TOKEN = [
  { alg: 'RS256', typ: 'JWT' },
  { iss: 'https://idp.example.com', sub: 'platform-auditor', exp: 4_102_444_800 },
]
  .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
  .concat('c2lnbmF0dXJl')
  .join('.');

let simulator: ApiServerSimulator;
let certificate: { certPem: string; keyPem: string };

beforeAll(async () => {
  simulator = await ApiServerSimulator.start({
    data: clusterFromObjects(demoObjects()),
    tokens: { 'token-from-file': 'token-file-user', [ID_TOKEN]: 'oidc-user', 'admin-token': 'admin' },
    passwords: { 'auditor:s3cret pass': 'basic-user' },
  });
  certificate = await simulator.pki.issueClientCertificate('file-cert-user', 'dockershim-audit:readers');
});
afterAll(() => simulator.close());

/**
 * A kubeconfig whose user entry is written as given, in a folder of its own with the files it
 * names (relative file names are relative to the kubeconfig, as kubectl reads them).
 */
async function kubeconfigWith(user: Record<string, unknown>, cluster: Record<string, unknown> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'dsa-credentials-'));
  await writeFile(join(dir, 'ca.pem'), simulator.caPem);
  await writeFile(join(dir, 'client.pem'), certificate.certPem);
  await writeFile(join(dir, 'client-key.pem'), certificate.keyPem, { mode: 0o600 });
  await writeFile(join(dir, 'token'), 'token-from-file\n', { mode: 0o600 });
  const written = await writeKubeconfig([
    { name: 'demo', server: simulator.url, caPem: simulator.caPem, user: { raw: user }, cluster },
  ]);
  const path = join(dir, 'config');
  await writeFile(path, await readFile(written, 'utf8'));
  return path;
}

const CASES = [
  {
    name: 'a client certificate and key in files, and the CA from a file, named relative to the kubeconfig',
    user: { 'client-certificate': 'client.pem', 'client-key': 'client-key.pem' },
    cluster: { 'certificate-authority': 'ca.pem', 'certificate-authority-data': null },
    identity: { user: 'file-cert-user' },
    library: false,
  },
  {
    name: 'a token read from token-file',
    user: { 'token-file': 'token' },
    identity: { user: 'token-file-user' },
    library: false,
  },
  {
    name: 'a user name and password (HTTP Basic)',
    user: { username: 'auditor', password: 's3cret pass' },
    identity: { user: 'basic-user' },
    library: false,
  },
  {
    name: "an OIDC auth provider's id-token (through client-node)",
    user: { 'auth-provider': { name: 'oidc', config: { 'id-token': ID_TOKEN, 'client-id': 'audit' } } },
    identity: { user: 'oidc-user' },
    library: true,
  },
  {
    name: 'a token that impersonates another user (as:, through client-node)',
    user: { token: 'admin-token', as: 'dockershim-audit' },
    identity: { user: 'admin', impersonate: 'dockershim-audit' },
    library: true,
  },
] as const;

describe('what a kubeconfig user gives each request, as kubectl sends it', () => {
  test.each(CASES)('$name', async ({ user, identity, ...rest }) => {
    const cluster = 'cluster' in rest ? rest.cluster : {};
    const report = await auditLive(await kubeconfigWith(user, cluster), { retry: FAST_RETRY });
    expect({ status: report.status, errors: report.errors }).toEqual({ status: 'complete', errors: [] });
    const lists = simulator.requests.filter((request) => request.path === '/api/v1/pods').slice(-1);
    expect(
      lists.map(({ user: who, impersonate }) => ({ user: who, ...(impersonate && { impersonate }) })),
    ).toEqual([identity]);
  });
});

test('a plain-HTTP server is refused unless the kubeconfig says not to verify TLS: credentials would travel in clear', async () => {
  const report = await auditLive(
    await writeKubeconfig([
      { name: 'demo', server: 'http://127.0.0.1:9', caPem: simulator.caPem, user: { token: 'admin-token' } },
    ]),
    { retry: FAST_RETRY },
  );
  expect(report.status).toBe('failed');
  expect(report.errors.map((error) => error.message)).toEqual([
    expect.stringContaining('HTTP protocol is not allowed when skipTLSVerify is not set or false'),
  ]);
});

describe('client-node (half a second and 60 MB to load) is loaded only for what needs it', () => {
  const hook = fileURLToPath(new URL('../helpers/client-node-loaded.ts', import.meta.url));
  test.each(CASES)('$name: loaded $library', async ({ user, library, ...rest }) => {
    const cluster = 'cluster' in rest ? rest.cluster : {};
    const out = await mkdtemp(join(tmpdir(), 'dsa-credentials-out-'));
    const run = await runCli(
      ['scan', '--kubeconfig', await kubeconfigWith(user, cluster), '--out', out, '--format', 'json'],
      { nodeArgs: ['--import', hook] },
    );
    expect(run.code).toBe(0);
    expect(/^client-node-loaded (true|false)$/m.exec(run.stderr)?.[1]).toBe(String(library));
  });
});
