import { isAbsolute, join, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { jsonKind } from '../../errors.ts';
import { isRecord } from '../../kube/objects.ts';
import { KubeconfigError } from '../errors.ts';

/**
 * A kubeconfig as kubectl reads it, with every value the audit uses type-checked. The file's
 * outline (the lists and the names in them, `current-context`) is checked when it is read: a
 * wrong outline stops the run. An entry's contents are checked when a context uses it, so
 * one bad user entry fails the clusters that use it and the others are still audited.
 */
export interface KubeconfigText {
  /** A file path, or where the text was kept (a secret). */
  origin: string;
  text: string;
  /** Relative file names in the text are relative to this folder (the file's own). */
  dir?: string;
}

export interface KubeconfigCluster {
  name: string;
  server: string;
  caData?: string;
  caFile?: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  proxyUrl?: string;
}

export interface ExecPluginConfig {
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  apiVersion: string;
  installHint?: string;
  interactiveMode?: 'Never' | 'IfAvailable' | 'Always';
  provideClusterInfo: boolean;
}

export interface KubeconfigUser {
  name: string;
  token?: string;
  tokenFile?: string;
  certData?: string;
  certFile?: string;
  keyData?: string;
  keyFile?: string;
  username?: string;
  password?: string;
  impersonate?: string;
  exec?: ExecPluginConfig;
  authProvider?: { name: string; config: Record<string, string> };
}

export interface ResolvedContext {
  name: string;
  cluster: KubeconfigCluster;
  user: KubeconfigUser | undefined;
}

interface Entry {
  name: string;
  /** `users[2]` in file `origin`, for messages. */
  where: string;
  origin: string;
  dir: string | undefined;
  body: unknown;
}

/** A kubeconfig (one file, or several merged as kubectl merges them), checked in outline. */
export interface Kubeconfig {
  origin: string;
  currentContext: string | undefined;
  contextNames: string[];
  resolve(context: string): ResolvedContext;
}

/** A kubeconfig is a few KB, a few MB for thousands of contexts; past this it is something else. */
export const MAX_KUBECONFIG_BYTES = 16 * 1024 * 1024;

/** Parses and merges kubeconfig texts: the first text to name an entry, or a current context, wins. */
export function parseKubeconfig(texts: readonly KubeconfigText[]): Kubeconfig {
  const lists = {
    clusters: new Map<string, Entry>(),
    users: new Map<string, Entry>(),
    contexts: new Map<string, Entry>(),
  };
  let currentContext: string | undefined;
  for (const { origin, text, dir } of texts) {
    const document = parseDocument(origin, text);
    const current = document['current-context'];
    if (current !== undefined && current !== null && typeof current !== 'string')
      throw new KubeconfigError(origin, `current-context must be a context name, not ${jsonKind(current)}`);
    if (currentContext === undefined && typeof current === 'string' && current !== '')
      currentContext = current;
    for (const list of ['clusters', 'users', 'contexts'] as const) {
      const items = document[list] ?? [];
      if (!Array.isArray(items))
        throw new KubeconfigError(origin, `${list} must be a list, not ${jsonKind(items)}`);
      items.forEach((item: unknown, index) => {
        const where = `${list}[${index}]`;
        if (!isRecord(item))
          throw new KubeconfigError(origin, `${where} must be a mapping, not ${jsonKind(item)}`);
        if (typeof item.name !== 'string' || item.name === '')
          throw new KubeconfigError(origin, `${where}.name must be a non-empty string`);
        const key = list.slice(0, -1);
        if (!lists[list].has(item.name))
          lists[list].set(item.name, { name: item.name, where, origin, dir, body: item[key] });
      });
    }
  }
  return {
    origin: texts.map((text) => text.origin).join(', '),
    currentContext,
    contextNames: [...lists.contexts.keys()],
    resolve(name) {
      const entry = lists.contexts.get(name);
      if (!entry) throw new KubeconfigError(this.origin, `no context "${name}"`);
      const context = new Fields(entry, 'context');
      const clusterName = context.string('cluster', true) as string;
      const userName = context.string('user');
      const cluster = lists.clusters.get(clusterName);
      if (!cluster)
        throw new KubeconfigError(
          entry.origin,
          `${entry.where} ("${name}") names cluster "${clusterName}", which is not in the kubeconfig`,
        );
      const user = userName === undefined || userName === '' ? undefined : lists.users.get(userName);
      if (userName && !user)
        throw new KubeconfigError(
          entry.origin,
          `${entry.where} ("${name}") names user "${userName}", which is not in the kubeconfig`,
        );
      return { name, cluster: clusterOf(cluster), user: user && userOf(user) };
    },
  };
}

function parseDocument(origin: string, text: string): Record<string, unknown> {
  if (text.length > MAX_KUBECONFIG_BYTES) throw tooLarge(origin, text.length);
  let document: unknown;
  try {
    // The yaml package bounds aliases (no "billion laughs") and refuses duplicate keys.
    document = parseYaml(text);
  } catch (error) {
    throw new KubeconfigError(
      origin,
      `not valid YAML: ${error instanceof Error ? error.message.split('\n')[0] : error}`,
    );
  }
  if (document === null || document === undefined) return {};
  if (!isRecord(document))
    throw new KubeconfigError(
      origin,
      `must be a mapping (apiVersion, clusters, users, contexts), not ${jsonKind(document)}`,
    );
  return document;
}

export function tooLarge(origin: string, bytes: number): KubeconfigError {
  return new KubeconfigError(
    origin,
    `is ${Math.round(bytes / 1024 / 1024)} MB, more than a kubeconfig can be (${MAX_KUBECONFIG_BYTES / 1024 / 1024} MB)`,
    'Is it the right file? A kubeconfig with thousands of contexts is a few MB; split a larger one.',
  );
}

function clusterOf(entry: Entry): KubeconfigCluster {
  const fields = new Fields(entry, 'cluster');
  const server = fields.string('server', true) as string;
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw fields.error('server', `is not a URL: ${JSON.stringify(server.slice(0, 200))}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw fields.error('server', 'must be an https:// URL');
  const cluster: KubeconfigCluster = {
    name: entry.name,
    server,
    insecureSkipTlsVerify: fields.boolean('insecure-skip-tls-verify') ?? false,
  };
  const caData = fields.string('certificate-authority-data');
  if (caData) cluster.caData = caData;
  const caFile = fields.file('certificate-authority');
  if (caFile) cluster.caFile = caFile;
  const tlsServerName = fields.string('tls-server-name');
  if (tlsServerName) cluster.tlsServerName = tlsServerName;
  const proxyUrl = fields.string('proxy-url');
  if (proxyUrl) cluster.proxyUrl = proxyUrl;
  return cluster;
}

function userOf(entry: Entry): KubeconfigUser {
  const fields = new Fields(entry, 'user');
  const user: KubeconfigUser = { name: entry.name };
  const strings = {
    token: 'token',
    username: 'username',
    password: 'password',
    certData: 'client-certificate-data',
    keyData: 'client-key-data',
    impersonate: 'as',
  } as const;
  for (const [field, key] of Object.entries(strings)) {
    const value = fields.string(key);
    if (value) user[field as keyof typeof strings] = value;
  }
  const paths = { tokenFile: 'token-file', certFile: 'client-certificate', keyFile: 'client-key' } as const;
  for (const [field, key] of Object.entries(paths)) {
    const value = fields.file(key);
    if (value) user[field as keyof typeof paths] = value;
  }
  const exec = fields.record('exec');
  if (exec) user.exec = execOf(fields.nested('exec', exec));
  const provider = fields.record('auth-provider');
  if (provider) {
    const nested = fields.nested('auth-provider', provider);
    const config = nested.record('config') ?? {};
    const checked = nested.nested('config', config);
    user.authProvider = {
      name: nested.string('name', true) as string,
      config: Object.fromEntries(Object.keys(config).map((key) => [key, checked.string(key) ?? ''])),
    };
  }
  return user;
}

const INTERACTIVE_MODES = ['Never', 'IfAvailable', 'Always'] as const;

function execOf(fields: Fields): ExecPluginConfig {
  const command = fields.string('command', true) as string;
  const env = (fields.list('env') ?? []).map((item, index) => {
    const variable = fields.nested(`env[${index}]`, item);
    return { name: variable.string('name', true) as string, value: variable.string('value') ?? '' };
  });
  const args = (fields.list('args') ?? []).map((value, index) => {
    if (typeof value !== 'string')
      throw fields.error(`args[${index}]`, `must be a string, not ${jsonKind(value)}`);
    return value;
  });
  const mode = fields.string('interactiveMode');
  if (mode !== undefined && !(INTERACTIVE_MODES as readonly string[]).includes(mode))
    throw fields.error('interactiveMode', `must be one of ${INTERACTIVE_MODES.join(', ')}`);
  const plugin: ExecPluginConfig = {
    // kubectl runs a command given as a relative path from the kubeconfig's folder.
    command: command.includes(sep) ? fields.resolvePath(command) : command,
    args,
    env,
    apiVersion: fields.string('apiVersion') ?? 'client.authentication.k8s.io/v1beta1',
    provideClusterInfo: fields.boolean('provideClusterInfo') ?? false,
  };
  const hint = fields.string('installHint');
  if (hint) plugin.installHint = hint;
  if (mode) plugin.interactiveMode = mode as ExecPluginConfig['interactiveMode'];
  return plugin;
}

/** Typed access to one mapping of an entry; every error names the file, the entry and the field. */
class Fields {
  private readonly entry: Entry;
  private readonly at: string;
  private readonly body: Record<string, unknown>;

  constructor(entry: Entry, path: string, body: unknown = entry.body) {
    this.entry = entry;
    this.at = path;
    if (body === undefined || body === null) this.body = {};
    else if (isRecord(body)) this.body = body;
    else throw this.error('', `must be a mapping, not ${jsonKind(body)}`);
  }

  nested(key: string, body: unknown): Fields {
    return new Fields(this.entry, `${this.at}.${key}`, body);
  }

  error(key: string, problem: string): KubeconfigError {
    const { origin, where, name } = this.entry;
    return new KubeconfigError(origin, `${where} ("${name}"): ${this.at}${key && `.${key}`} ${problem}`);
  }

  private value(key: string, required: boolean): unknown {
    const value = this.body[key];
    if ((value === undefined || value === null) && required) throw this.error(key, 'is required');
    return value ?? undefined;
  }

  string(key: string, required = false): string | undefined {
    const value = this.value(key, required);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw this.error(key, `must be a string, not ${jsonKind(value)}`);
    if (required && value === '') throw this.error(key, 'is required');
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.value(key, false);
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') throw this.error(key, `must be true or false, not ${jsonKind(value)}`);
    return value;
  }

  list(key: string): unknown[] | undefined {
    const value = this.value(key, false);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) throw this.error(key, `must be a list, not ${jsonKind(value)}`);
    return value;
  }

  record(key: string): Record<string, unknown> | undefined {
    const value = this.value(key, false);
    if (value === undefined) return undefined;
    if (!isRecord(value)) throw this.error(key, `must be a mapping, not ${jsonKind(value)}`);
    return value;
  }

  /** A file name, relative to the kubeconfig's folder as kubectl reads it. */
  file(key: string): string | undefined {
    const value = this.string(key);
    return value ? this.resolvePath(value) : undefined;
  }

  resolvePath(file: string): string {
    const { dir } = this.entry;
    return dir === undefined || isAbsolute(file) ? file : join(dir, file);
  }
}
