import { spawn } from 'node:child_process';
import { describeError, jsonKind } from '../../errors.ts';
import { isRecord } from '../../kube/objects.ts';
import { ClusterConnectionError } from '../errors.ts';
import type { ExecPluginConfig, KubeconfigCluster } from './kubeconfig-document.ts';

/** What an exec credential plugin hands back (ExecCredential `status`). */
export interface ExecCredential {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  /** When to ask the plugin again; undefined: the credential does not expire. */
  expiresAt?: number;
}

/** A credential is a token and perhaps a certificate: a few KB. More is not a credential. */
const MAX_STDOUT_BYTES = 1024 * 1024;
/** What is kept of a failing plugin's stderr: its first line, this long at most. */
const MAX_STDERR_LINE = 200;
const MAX_STDERR_BYTES = 16 * 1024;

/**
 * Runs a kubeconfig exec plugin (`aws eks get-token`, `gke-gcloud-auth-plugin`, `kubelogin`)
 * as kubectl does, with no terminal, and bounded: it is killed (with anything it started) when
 * `signal` aborts, its output is read up to a limit, and a failure keeps one short line of
 * its stderr. Rejects with a ClusterConnectionError that names the plugin.
 */
export function runExecPlugin(
  plugin: ExecPluginConfig,
  cluster: KubeconfigCluster,
  signal: AbortSignal,
): Promise<ExecCredential> {
  const name = `the credential plugin "${bounded(plugin.command)}"`;
  if (plugin.interactiveMode === 'Always')
    return Promise.reject(
      new ClusterConnectionError(
        `${name} asks for a terminal (interactiveMode: Always); the audit runs plugins without one`,
        'Log in first (the plugin caches its credential), or set interactiveMode to IfAvailable.',
      ),
    );
  if (signal.aborted) return Promise.reject(deadline(name));
  const info = {
    apiVersion: plugin.apiVersion,
    kind: 'ExecCredential',
    spec: {
      interactive: false,
      ...(plugin.provideClusterInfo && {
        cluster: {
          server: cluster.server,
          'insecure-skip-tls-verify': cluster.insecureSkipTlsVerify,
          ...(cluster.caData !== undefined && { 'certificate-authority-data': cluster.caData }),
          ...(cluster.tlsServerName !== undefined && { 'tls-server-name': cluster.tlsServerName }),
          ...(cluster.proxyUrl !== undefined && { 'proxy-url': cluster.proxyUrl }),
        },
      }),
    },
  };
  const env: NodeJS.ProcessEnv = { ...process.env, KUBERNETES_EXEC_INFO: JSON.stringify(info) };
  for (const variable of plugin.env) env[variable.name] = variable.value;
  return new Promise((resolve, reject) => {
    // A process group of its own, so that killing it also kills what it started (a shell's children).
    const child = spawn(plugin.command, plugin.args, {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = Buffer.alloc(0);
    let stderr = '';
    let failure: ClusterConnectionError | undefined;
    const stop = (reason: ClusterConnectionError) => {
      failure ??= reason;
      killGroup(child.pid, () => child.kill('SIGKILL'));
    };
    const onAbort = () => stop(deadline(name));
    signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout.length + chunk.length > MAX_STDOUT_BYTES)
        return stop(
          new ClusterConnectionError(
            `${name} printed more than ${MAX_STDOUT_BYTES / 1024} KB; that is not a credential`,
          ),
        );
      stdout = Buffer.concat([stdout, chunk]);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < MAX_STDERR_BYTES) stderr += chunk.slice(0, MAX_STDERR_BYTES - stderr.length);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      failure ??=
        error.code === 'ENOENT'
          ? new ClusterConnectionError(
              `${name} was not found`,
              plugin.installHint
                ? bounded(plugin.installHint, 500)
                : 'Install it, or correct users[].user.exec.command in the kubeconfig.',
            )
          : new ClusterConnectionError(`${name} could not be started: ${describeError(error)}`);
    });
    child.on('close', (code, killedBy) => {
      signal.removeEventListener('abort', onAbort);
      if (failure) return reject(failure);
      if (code !== 0) {
        const line = firstLine(stderr);
        return reject(
          new ClusterConnectionError(
            `${name} failed (${killedBy ? `killed by ${killedBy}` : `exit code ${code}`})${line ? `: ${line}` : ''}`,
            'Run the command of the kubeconfig user by hand to see the whole message.',
          ),
        );
      }
      try {
        resolve(parseExecCredential(stdout.toString('utf8'), name));
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** The ExecCredential a plugin printed, checked: a token or a client certificate and key. */
export function parseExecCredential(text: string, name: string): ExecCredential {
  const invalid = (problem: string) =>
    new ClusterConnectionError(
      `${name} did not print an ExecCredential: ${problem}`,
      'A plugin prints {"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": {"token": "..."}}.',
    );
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw invalid(text.trim() === '' ? 'it printed nothing' : 'its output is not JSON');
  }
  if (!isRecord(document)) throw invalid(`its output is ${jsonKind(document)}`);
  if (document.kind !== 'ExecCredential') throw invalid('kind is not ExecCredential');
  const status = document.status;
  if (!isRecord(status)) throw invalid('it has no status');
  const credential: ExecCredential = {};
  for (const key of ['token', 'clientCertificateData', 'clientKeyData', 'expirationTimestamp'] as const) {
    const value = status[key];
    if (value !== undefined && value !== null && typeof value !== 'string')
      throw invalid(`status.${key} is ${jsonKind(value)}, not a string`);
  }
  if (typeof status.token === 'string' && status.token !== '') credential.token = status.token;
  if (typeof status.clientCertificateData === 'string' && typeof status.clientKeyData === 'string') {
    credential.clientCertificateData = status.clientCertificateData;
    credential.clientKeyData = status.clientKeyData;
  }
  if (!credential.token && !credential.clientCertificateData)
    throw invalid('it holds neither a token nor a client certificate and key');
  if (typeof status.expirationTimestamp === 'string') {
    const at = Date.parse(status.expirationTimestamp);
    if (Number.isNaN(at)) throw invalid('status.expirationTimestamp is not a time');
    credential.expiresAt = at;
  }
  return credential;
}

function killGroup(pid: number | undefined, fallback: () => void): void {
  try {
    if (pid === undefined) throw new Error('not started');
    process.kill(-pid, 'SIGKILL');
  } catch {
    fallback();
  }
}

function deadline(name: string): ClusterConnectionError {
  return new ClusterConnectionError(
    `${name} did not finish before the cluster's deadline and was stopped`,
    'Run it by hand to see what it waits for (a login, a browser, the network); if it is only slow, raise the deadline (--cluster-timeout).',
  );
}

/** The first non-empty line of a plugin's stderr, cut short: enough to recognise the problem. */
function firstLine(text: string): string {
  const line = text.split(/\r?\n/).find((candidate) => candidate.trim() !== '') ?? '';
  return bounded(line.trim(), MAX_STDERR_LINE);
}

function bounded(text: string, max = MAX_STDERR_LINE): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
