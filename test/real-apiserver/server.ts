import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.ts';
import { createTestPki } from '../simulator/certificates.ts';
import { writeKubeconfig } from '../simulator/kubeconfig.ts';
import { AdminClient } from './admin-client.ts';

/**
 * A real kube-apiserver (v1.20.2, built by scripts/real-apiserver/build.sh) on etcd (Debian's
 * etcd-server), both on loopback, with certificates made here. Three identities, as the audit
 * meets them in the field: an administrator, the auditor bound to deploy/rbac.yaml's role (a
 * member of the group that file binds), and an identity with no permissions at all.
 */
export interface RealApiServer {
  url: string;
  caPem: string;
  /** etcd's client URL (plain HTTP on loopback): for compacting it from a test. */
  etcdUrl: string;
  kubeconfigs: Record<Identity, string>;
  /** Each identity's client certificate, for a test that stands between the audit and the server. */
  identities: Record<Identity, ClientCertificate>;
  /** The server's own certificate (127.0.0.1, signed by the CA the kubeconfigs trust). */
  serverTls: { certPem: string; keyPem: string };
  admin: AdminClient;
  /** What the servers logged that explains a failure: a crash's first lines, or the log's end. */
  log(): string;
  close(): Promise<void>;
}

export type Identity = 'admin' | 'reader' | 'nobody';
export interface ClientCertificate {
  clientCertificatePem: string;
  clientKeyPem: string;
}

export const READER_GROUP = 'dockershim-audit:readers';
export const READER_USER = 'dockershim-audit';
const BUILD_SCRIPT = `${REPO_ROOT}scripts/real-apiserver/build.sh`;
const ETCD = process.env.ETCD ?? 'etcd';

/**
 * The cached kube-apiserver, or why there is none. Never builds (that takes minutes): .ci/run
 * and `scripts/real-apiserver/build.sh` do. KUBE_APISERVER names a binary to use instead.
 */
export function realApiServerBinary(): { binary: string } | { missing: string } {
  if (process.env.KUBE_APISERVER) return { binary: process.env.KUBE_APISERVER };
  const located = spawnSync('bash', [BUILD_SCRIPT, '--cached'], { encoding: 'utf8' });
  const binary = located.stdout.trim().split('\n').at(-1);
  if (located.status !== 0 || !binary) {
    const why = located.stderr.trim().split('\n').at(-1) ?? `exit ${located.status}`;
    return { missing: why };
  }
  const etcd = spawnSync(ETCD, ['--version'], { encoding: 'utf8' });
  if (etcd.status !== 0) return { missing: `no etcd (${ETCD}): apt-get install etcd-server` };
  return { binary };
}

/** A free TCP port on loopback (the servers take ports as flags, not from the kernel). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * Runs a server process that cannot outlive this one: bash waits on the server and kills it
 * when our end of its stdin closes, whether we close it or die (a crashed or killed test run
 * leaves no etcd or kube-apiserver behind).
 */
function guarded(command: string, args: string[], logFile: number): ChildProcess {
  return spawn(
    'bash',
    [
      '-c',
      // A kube-apiserver whose etcd went first can hang in its shutdown: KILL after 10 s.
      'exec 3<&0; "$@" </dev/null & server=$!; { read -r _ <&3; kill -TERM "$server" && sleep 10 && kill -KILL "$server"; } 2>/dev/null & wait "$server"',
      'guard',
      command,
      ...args,
    ],
    { stdio: ['pipe', logFile, logFile] },
  );
}

/** A Go crash prints every goroutine: its first lines say why; otherwise the end of the log does. */
function excerpt(logPath: string): string {
  const text = readFileSync(logPath, 'utf8');
  const crash = text.search(/^(fatal error|panic|unexpected fault address)/m);
  return crash >= 0 ? text.slice(crash, crash + 3000) : text.slice(-3000);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.stdin?.end();
  });
}

async function waitFor(
  what: string,
  child: ChildProcess,
  check: () => Promise<boolean>,
  timeoutMs: number,
  log: () => string,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    const exited = child.exitCode !== null || child.signalCode !== null;
    if (exited || Date.now() > deadline)
      throw new Error(
        `${what} ${exited ? 'exited' : `not ready within ${timeoutMs / 1000}s`}; its log:\n${log()}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export interface StartOptions {
  binary: string;
  /** etcd's backend quota: large clusters (the benchmark) need more than the 2 GB default. */
  etcdQuotaBytes?: number;
}

export async function startRealApiServer(options: StartOptions): Promise<RealApiServer> {
  // Ports are picked free and then handed to the servers: another process may take one in
  // between. Then the server says so and exits, and a second pick is as good as the first.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (attempt === 3 || !String(error).includes('address already in use')) throw error;
    }
  }
}

async function startOnce(options: StartOptions): Promise<RealApiServer> {
  const dir = await mkdtemp(join(tmpdir(), 'dsa-real-apiserver-'));
  // Both servers log to one file, not through this process: a busy server logs a lot.
  const logPath = join(dir, 'servers.log');
  const logFile = openSync(logPath, 'a');
  const log = () => excerpt(logPath);
  // etcd syncs every write to disk; in memory (tmpfs) loading a cluster is several times faster
  // on a shared disk, and reads, which the audit measures, come from memory either way.
  const etcdDir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'dsa-etcd-'));
  const children: ChildProcess[] = [];
  const close = async () => {
    for (const child of children.reverse()) await stop(child);
    closeSync(logFile);
    await rm(dir, { recursive: true, force: true });
    await rm(etcdDir, { recursive: true, force: true });
  };
  try {
    const pki = await createTestPki();
    // v1.20 reads the service account keys as SEC1 ("EC PRIVATE KEY") and SPKI ("PUBLIC KEY").
    const serviceAccountKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const files = {
      ca: join(dir, 'ca.pem'),
      cert: join(dir, 'server.pem'),
      key: join(dir, 'server-key.pem'),
      serviceAccountKey: join(dir, 'service-account-key.pem'),
      serviceAccountPublicKey: join(dir, 'service-account-public-key.pem'),
    };
    await writeFile(files.ca, pki.caPem);
    await writeFile(files.cert, pki.serverCertPem);
    await writeFile(files.key, pki.serverKeyPem, { mode: 0o600 });
    await writeFile(
      files.serviceAccountKey,
      serviceAccountKeys.privateKey.export({ type: 'sec1', format: 'pem' }),
      { mode: 0o600 },
    );
    await writeFile(
      files.serviceAccountPublicKey,
      serviceAccountKeys.publicKey.export({ type: 'spki', format: 'pem' }),
    );

    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = guarded(
      ETCD,
      [
        '--name=audit-test',
        `--data-dir=${etcdDir}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=audit-test=${peerUrl}`,
        `--quota-backend-bytes=${options.etcdQuotaBytes ?? 2 * 1024 ** 3}`,
        '--log-level=warn',
        '--logger=zap',
      ],
      logFile,
    );
    children.push(etcd);
    await waitFor('etcd', etcd, async () => (await fetch(`${etcdUrl}/health`)).ok, 30_000, log);

    const url = `https://127.0.0.1:${apiPort}`;
    const apiServer = guarded(
      options.binary,
      [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        '--insecure-port=0',
        `--tls-cert-file=${files.cert}`,
        `--tls-private-key-file=${files.key}`,
        `--client-ca-file=${files.ca}`,
        '--authorization-mode=RBAC',
        // As every real cluster's (kubeadm, EKS): the agents the audit looks for run privileged.
        '--allow-privileged=true',
        `--service-account-key-file=${files.serviceAccountPublicKey}`,
        `--service-account-signing-key-file=${files.serviceAccountKey}`,
        '--service-account-issuer=https://kubernetes.default.svc',
        '--service-cluster-ip-range=10.96.0.0/16',
        // No controller manager or kubelet runs: admission that edits pods (service account
        // tokens, default tolerations, priorities) or needs missing objects would make the
        // stored objects differ from the loaded ones. NamespaceLifecycle stays: namespaces
        // must exist, as in any cluster.
        '--disable-admission-plugins=ServiceAccount,DefaultTolerationSeconds,Priority,LimitRanger,TaintNodesByCondition,DefaultStorageClass,StorageObjectInUseProtection,PersistentVolumeClaimResize,RuntimeClass,DefaultIngressClass,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ResourceQuota',
        '--enable-admission-plugins=NamespaceLifecycle',
        '--profiling=false',
        '--logtostderr=true',
        '--v=0',
      ],
      logFile,
    );
    children.push(apiServer);
    const certificate = async (commonName: string, organisation?: string): Promise<ClientCertificate> => {
      const issued = await pki.issueClientCertificate(commonName, organisation);
      return { clientCertificatePem: issued.certPem, clientKeyPem: issued.keyPem };
    };
    const adminUser = await certificate('admin', 'system:masters');
    const readerUser = await certificate(READER_USER, READER_GROUP);
    const nobodyUser = await certificate('nobody');
    // Every kubeconfig names its one context `demo`, as the test helpers' audits expect.
    const context = (user: ClientCertificate) =>
      writeKubeconfig([{ name: 'demo', server: url, caPem: pki.caPem, user }]);
    const admin = new AdminClient(url, pki.caPem, adminUser.clientCertificatePem, adminUser.clientKeyPem);
    // Ready means: serving, and the bootstrap (RBAC roles, priority classes) done. About 5 s on
    // an idle machine; minutes when the two cores are shared with a dozen other processes.
    await waitFor(
      'kube-apiserver',
      apiServer,
      async () => (await admin.request('GET', '/readyz')).status === 200,
      480_000,
      log,
    );
    return {
      url,
      caPem: pki.caPem,
      etcdUrl,
      kubeconfigs: {
        admin: await context(adminUser),
        reader: await context(readerUser),
        nobody: await context(nobodyUser),
      },
      identities: { admin: adminUser, reader: readerUser, nobody: nobodyUser },
      serverTls: { certPem: pki.serverCertPem, keyPem: pki.serverKeyPem },
      admin,
      log,
      close: async () => {
        admin.close();
        await close();
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The binary this test tier runs on, or undefined, having said on stderr why the tier is
 * skipped and how to run it. REAL_APISERVER=required (.ci/run sets it) turns a missing binary
 * into a failure: in CI the tier must run, never pass by skipping.
 */
export function realApiServerForTests(): string | undefined {
  const located = realApiServerBinary();
  if ('binary' in located) return located.binary;
  const build = 'Build it with scripts/real-apiserver/build.sh (or run .ci/run).';
  if (process.env.REAL_APISERVER === 'required')
    throw new Error(
      `real kube-apiserver tier cannot run (REAL_APISERVER=required): ${located.missing}. ${build}`,
    );
  process.stderr.write(`\nreal kube-apiserver tier SKIPPED: ${located.missing}. ${build}\n`);
  return undefined;
}
