import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { gzipSync } from 'node:zlib';
import { createTestPki, type TestPki } from './certificates.ts';
import type { ClusterData, ResourceData } from './cluster-data.ts';
import { CLUSTER_SCOPED, SERVED_KINDS } from './cluster-data.ts';
import { checkEksToken, type EksTokenCheck } from './eks-token-check.ts';
import { tableFor } from './tables.ts';

/**
 * A test double that speaks the Kubernetes HTTP API over TLS, so the real client code runs
 * end to end: discovery (/version, /api, /apis), paginated lists (limit/continue) of the
 * kinds the audit reads, Table output for kubectl, the node proxy's configz, bearer tokens,
 * client certificates and EKS-style tokens. Faults are injected per test.
 */
export interface SimulatorOptions {
  data: ClusterData;
  /** The version the server claims; decides which group versions it serves (CronJob!). */
  kubernetesVersion?: string;
  /** Bearer token → user name. */
  tokens?: Record<string, string>;
  /** `name:password` (HTTP Basic, as old clusters allowed) → user name. */
  passwords?: Record<string, string>;
  /** Accept EKS tokens (k8s-aws-v1.) checked as aws-iam-authenticator checks them. */
  eks?: EksTokenCheck;
  pki?: TestPki;
  /**
   * RBAC rules every user is held to (as from a ClusterRole). Without them, authenticated users
   * may read everything. Discovery stays open to all, as system:discovery grants it.
   */
  rbac?: PolicyRule[];
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs?: string[];
}

export type FaultAction =
  | { type: 'status'; status: number; message?: string; retryAfter?: string }
  /** 410 Gone with reason Expired: the continue token is too old. */
  | { type: 'gone' }
  | { type: 'delay'; ms: number }
  /** Accepts the request and never answers. */
  | { type: 'hang' }
  /** Destroys the connection without an answer. */
  | { type: 'reset' }
  /** 200 with a body that is not JSON. */
  | { type: 'malformed' }
  /** 200 with this body, as it is (`null` for /version, a list without items...). */
  | { type: 'body'; body: string }
  /**
   * 200 with a valid but enormous list: `bytes` of JSON made as it is sent, never held, so the
   * test stays small whatever the size. `declared` sends Content-Length (else chunked).
   */
  | { type: 'huge'; bytes: number; declared?: boolean }
  /** 200, gzip, a few MB on the wire that inflate to `inflatedBytes` of JSON (a "zip bomb"). */
  | { type: 'gzipBomb'; inflatedBytes: number };

export interface Fault {
  /** Matches the request path (without query): a string matches exactly. */
  path: string | RegExp;
  /** Only this page of a list (0 = the request without continue). */
  page?: number;
  /** How many matching requests get the fault; the rest are served normally. Default 1. */
  times?: number;
  action: FaultAction;
}

export interface RequestRecord {
  path: string;
  query: URLSearchParams;
  user: string | undefined;
  /** Whom the request asked to act as (Impersonate-User), which a real server checks with RBAC. */
  impersonate?: string;
  status: number;
  at: number;
  /** Body bytes sent for a streamed fault (huge, gzipBomb) before the client stopped reading. */
  bytesSent?: number;
}

interface ArmedFault extends Fault {
  remaining: number;
}

export class ApiServerSimulator {
  readonly url: string;
  readonly caPem: string;
  readonly pki: TestPki;
  readonly requests: RequestRecord[] = [];
  private readonly server: Server;
  private readonly options: SimulatorOptions;
  private readonly faults: ArmedFault[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly version: { major: number; minor: number; gitVersion: string };

  private constructor(server: Server, url: string, pki: TestPki, options: SimulatorOptions) {
    this.server = server;
    this.url = url;
    this.pki = pki;
    this.caPem = pki.caPem;
    this.options = options;
    const [major = 1, minor = 28, patch = 0] = (options.kubernetesVersion ?? '1.28.3').split('.').map(Number);
    this.version = { major, minor, gitVersion: `v${major}.${minor}.${patch}` };
  }

  static async start(options: SimulatorOptions): Promise<ApiServerSimulator> {
    const pki = options.pki ?? (await createTestPki());
    let simulator: ApiServerSimulator | undefined;
    const server = createServer(
      {
        key: pki.serverKeyPem,
        cert: pki.serverCertPem,
        ca: pki.caPem,
        requestCert: true,
        rejectUnauthorized: false,
      },
      (request, response) => simulator?.handle(request, response),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    simulator = new ApiServerSimulator(server, `https://127.0.0.1:${port}`, pki, options);
    server.on('secureConnection', (socket: Socket) => {
      simulator?.sockets.add(socket);
      socket.on('close', () => simulator?.sockets.delete(socket));
    });
    return simulator;
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** List requests for a path (pages), in order. */
  listRequests(path: string): RequestRecord[] {
    return this.requests.filter((record) => record.path === path);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'https://simulator');
    const record: RequestRecord = {
      path: url.pathname,
      query: url.searchParams,
      user: undefined,
      status: 0,
      at: Date.now(),
    };
    this.requests.push(record);
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      record.status = status;
      const gzip =
        body.length > 128 * 1024 && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
      const payload = gzip ? gzipSync(body) : Buffer.from(body);
      response.writeHead(status, {
        'Content-Type': 'application/json',
        ...(gzip && { 'Content-Encoding': 'gzip' }),
        'Content-Length': String(payload.length),
        ...headers,
      });
      response.end(payload);
    };
    const status = (code: number, reason: string, message: string, headers: Record<string, string> = {}) =>
      send(
        code,
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message,
          reason,
          code,
        }),
        headers,
      );

    if (request.method !== 'GET') return status(405, 'MethodNotAllowed', 'the simulator only serves GET');
    // /version is open to all, as on a real server; faults apply to it too.
    const open = url.pathname === '/version';
    if (!open) {
      const user = this.authenticate(request);
      if (typeof user !== 'string') return status(401, 'Unauthorized', user.reason);
      record.user = user;
      const impersonate = request.headers['impersonate-user'];
      if (typeof impersonate === 'string') record.impersonate = impersonate;
    }

    const fault = this.takeFault(url);
    if (fault) {
      switch (fault.type) {
        case 'status':
          return status(
            fault.status,
            fault.status === 403 ? 'Forbidden' : fault.status === 429 ? 'TooManyRequests' : 'InternalError',
            fault.message ?? `injected ${fault.status}`,
            fault.retryAfter === undefined ? {} : { 'Retry-After': fault.retryAfter },
          );
        case 'gone':
          return status(
            410,
            'Expired',
            'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
          );
        case 'hang':
          record.status = -1;
          return;
        case 'reset':
          record.status = -2;
          request.socket.destroy();
          return;
        case 'malformed':
          return send(200, '{"kind":"PodList","items":[{"metadata":');
        case 'body':
          return send(200, fault.body);
        case 'huge':
        case 'gzipBomb':
          record.status = 200;
          streamFault(fault, response, record);
          return;
        case 'delay':
          setTimeout(() => this.serve(url, request, send, status), fault.ms);
          return;
      }
    }
    if (open) return send(200, JSON.stringify(this.versionInfo()));
    this.serve(url, request, send, status);
  }

  private serve(
    url: URL,
    request: IncomingMessage,
    send: (status: number, body: string) => void,
    status: (code: number, reason: string, message: string) => void,
  ): void {
    const path = url.pathname.replace(/\/+$/, '');
    if (path === '/api') {
      return send(
        200,
        JSON.stringify({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] }),
      );
    }
    if (path === '/apis') return send(200, JSON.stringify(this.groupList()));
    const groupVersion = this.groupVersionOf(path);
    if (groupVersion !== undefined && (path === `/api/${groupVersion}` || path === `/apis/${groupVersion}`)) {
      const resources = this.resourcesOf(groupVersion);
      if (!resources) return status(404, 'NotFound', `the server could not find the requested resource`);
      return send(
        200,
        JSON.stringify({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources }),
      );
    }
    const configz = /^\/api\/v1\/nodes\/([^/]+)\/proxy\/configz$/.exec(path);
    if (configz) {
      if (
        !this.allowed({
          group: '',
          resource: 'nodes/proxy',
          verb: 'get',
          name: decodeURIComponent(configz[1] ?? ''),
        })
      ) {
        return status(
          403,
          'Forbidden',
          `nodes "${configz[1]}" is forbidden: cannot get resource "nodes/proxy"`,
        );
      }
      const config = this.options.data.kubeletConfigs?.get(decodeURIComponent(configz[1] ?? ''));
      if (!config) return status(404, 'NotFound', 'node or kubelet configz not found');
      return send(200, JSON.stringify({ kubeletconfig: config }));
    }
    const list = this.listTarget(path);
    if (!list) return status(404, 'NotFound', 'the server could not find the requested resource');
    const group = list.groupVersion.includes('/') ? (list.groupVersion.split('/')[0] ?? '') : '';
    const name = /(?:^|,)metadata\.name=([^,]+)/.exec(url.searchParams.get('fieldSelector') ?? '')?.[1];
    if (
      !this.allowed({ group, resource: list.resource, verb: 'list', ...(name !== undefined && { name }) })
    ) {
      return status(
        403,
        'Forbidden',
        `${list.resource}${group ? `.${group}` : ''} is forbidden: cannot list resource "${list.resource}" in API group "${group}" at the cluster scope`,
      );
    }
    const data = this.options.data.resources.get(list.resource);
    this.serveList(url, request, list, name, data, send, status);
  }

  private serveList(
    url: URL,
    request: IncomingMessage,
    list: { resource: string; groupVersion: string; kind: string; namespace?: string },
    nameSelector: string | undefined,
    data: ResourceData | undefined,
    send: (status: number, body: string) => void,
    status: (code: number, reason: string, message: string) => void,
  ): void {
    const rawLimit = url.searchParams.get('limit');
    const limit = rawLimit ? Math.max(1, Number(rawLimit)) : Number.POSITIVE_INFINITY;
    const continueToken = url.searchParams.get('continue');
    let offset = 0;
    let page = 0;
    if (continueToken) {
      const decoded = decodeContinue(continueToken);
      if (!decoded || decoded.resource !== list.resource)
        return status(400, 'BadRequest', 'invalid continue token');
      offset = decoded.offset;
      page = decoded.page;
    }
    const indexes: number[] = [];
    let next: number | undefined;
    const count = data?.count ?? 0;
    for (let index = offset; index < count; index++) {
      if (list.namespace !== undefined && data?.namespace(index) !== list.namespace) continue;
      if (nameSelector !== undefined && data?.name(index) !== nameSelector) continue;
      if (indexes.length >= limit) {
        next = index;
        break;
      }
      indexes.push(index);
    }
    const metadata: Record<string, unknown> = { resourceVersion: '424242' };
    if (next !== undefined) {
      metadata.continue = encodeContinue({ resource: list.resource, offset: next, page: page + 1 });
      metadata.remainingItemCount = count - next;
    }
    const items = indexes.map((index) => data?.json(index) ?? '{}');
    if (/as=Table/.test(String(request.headers.accept ?? ''))) {
      return send(
        200,
        JSON.stringify(
          tableFor(
            list.kind,
            items.map((item) => JSON.parse(item)),
            metadata,
          ),
        ),
      );
    }
    const body = `{"kind":"${list.kind}List","apiVersion":"${list.groupVersion}","metadata":${JSON.stringify(metadata)},"items":[${items.join(',')}]}`;
    send(200, body);
  }

  /** RBAC as the API server evaluates it: a list with a metadata.name field selector may match resourceNames. */
  private allowed(attributes: { group: string; resource: string; verb: string; name?: string }): boolean {
    const rules = this.options.rbac;
    if (!rules) return true;
    const has = (list: string[] | undefined, value: string) =>
      (list ?? []).includes('*') || (list ?? []).includes(value);
    return rules.some(
      (rule) =>
        has(rule.apiGroups, attributes.group) &&
        has(rule.resources, attributes.resource) &&
        has(rule.verbs, attributes.verb) &&
        (!rule.resourceNames?.length ||
          (attributes.name !== undefined && rule.resourceNames.includes(attributes.name))),
    );
  }

  private authenticate(request: IncomingMessage): string | { reason: string } {
    const authorization = request.headers.authorization;
    if (authorization?.startsWith('Bearer ')) {
      const token = authorization.slice(7).trim();
      if (token.startsWith('k8s-aws-v1.')) {
        if (!this.options.eks) return { reason: 'EKS tokens are not accepted here' };
        const result = checkEksToken(token, this.options.eks);
        return result.ok ? result.arn : { reason: `invalid EKS token: ${result.reason}` };
      }
      const user = this.options.tokens?.[token];
      return user ?? { reason: 'Unauthorized' };
    }
    if (authorization?.startsWith('Basic ')) {
      const credentials = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
      return this.options.passwords?.[credentials] ?? { reason: 'Unauthorized' };
    }
    const socket = request.socket as TLSSocket;
    if (socket.authorized) {
      const subject = socket.getPeerCertificate().subject;
      const cn = subject?.CN;
      if (typeof cn === 'string') return cn;
    }
    return { reason: 'Unauthorized' };
  }

  private takeFault(url: URL): FaultAction | undefined {
    const page = url.searchParams.get('continue')
      ? (decodeContinue(url.searchParams.get('continue') ?? '')?.page ?? -1)
      : 0;
    for (const fault of this.faults) {
      if (fault.remaining <= 0) continue;
      const pathMatches =
        typeof fault.path === 'string' ? fault.path === url.pathname : fault.path.test(url.pathname);
      if (!pathMatches || (fault.page !== undefined && fault.page !== page)) continue;
      fault.remaining--;
      return fault.action;
    }
    return undefined;
  }

  private versionInfo() {
    const { major, minor, gitVersion } = this.version;
    return {
      major: String(major),
      minor: String(minor),
      gitVersion,
      gitCommit: '0000000000000000000000000000000000000000',
      gitTreeState: 'clean',
      buildDate: '2026-01-01T00:00:00Z',
      goVersion: 'go1.22.0',
      compiler: 'gc',
      platform: 'linux/amd64',
    };
  }

  /** Which group versions serve which resources, as the claimed version did. */
  private servedVersions(): Map<string, Map<string, string[]>> {
    const minor = this.version.major > 1 ? 99 : this.version.minor;
    const groups = new Map<string, Map<string, string[]>>();
    const add = (group: string, version: string, resources: string[]) => {
      const versions = groups.get(group) ?? new Map<string, string[]>();
      versions.set(version, [...(versions.get(version) ?? []), ...resources]);
      groups.set(group, versions);
    };
    add('', 'v1', ['pods', 'nodes', 'configmaps', 'replicationcontrollers', 'namespaces']);
    add('apps', 'v1', ['deployments', 'replicasets', 'statefulsets', 'daemonsets']);
    add('batch', 'v1', minor >= 21 ? ['jobs', 'cronjobs'] : ['jobs']);
    // CronJob: batch/v1beta1 until 1.24, batch/v1 from 1.21.
    if (minor <= 24) add('batch', 'v1beta1', ['cronjobs']);
    // PodDisruptionBudget: policy/v1 from 1.21, policy/v1beta1 until 1.24.
    if (minor >= 21) add('policy', 'v1', ['poddisruptionbudgets']);
    if (minor <= 24) add('policy', 'v1beta1', ['poddisruptionbudgets']);
    // Add-ons: served where their data is, as where their CRDs are installed.
    const argo = ['rollouts', 'workflowtemplates', 'clusterworkflowtemplates', 'cronworkflows'].filter(
      (resource) => this.options.data.resources.has(resource),
    );
    if (argo.length > 0) add('argoproj.io', 'v1alpha1', argo);
    return groups;
  }

  private groupList() {
    const groups = [...this.servedVersions()].filter(([name]) => name !== '');
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: groups.map(([name, versions]) => {
        const entries = [...versions.keys()].map((version) => ({
          groupVersion: `${name}/${version}`,
          version,
        }));
        return { name, versions: entries, preferredVersion: entries[0] };
      }),
    };
  }

  private groupVersionOf(path: string): string | undefined {
    const core = /^\/api\/(v1)(?:\/|$)/.exec(path);
    if (core) return core[1];
    const named = /^\/apis\/([^/]+)\/([^/]+)(?:\/|$)/.exec(path);
    return named ? `${named[1]}/${named[2]}` : undefined;
  }

  private resourcesOf(groupVersion: string) {
    const [group, version] = groupVersion.includes('/') ? groupVersion.split('/') : ['', groupVersion];
    const resources = this.servedVersions()
      .get(group ?? '')
      ?.get(version ?? '');
    if (!resources) return undefined;
    const kinds = Object.entries(SERVED_KINDS);
    const entries = resources.map((resource) => {
      const kind = kinds.find(([, served]) => served.resource === resource)?.[0] ?? resource;
      return {
        name: resource,
        singularName: kind.toLowerCase(),
        namespaced: !CLUSTER_SCOPED.has(resource),
        kind,
        verbs: ['get', 'list', 'watch'],
        ...(resource === 'pods' && { shortNames: ['po'], categories: ['all'] }),
        ...(resource === 'nodes' && { shortNames: ['no'] }),
      };
    });
    if (groupVersion === 'v1') {
      entries.push({
        name: 'nodes/proxy',
        singularName: '',
        namespaced: false,
        kind: 'NodeProxyOptions',
        verbs: ['get'],
      });
    }
    return entries;
  }

  private listTarget(
    path: string,
  ): { resource: string; groupVersion: string; kind: string; namespace?: string } | undefined {
    const match =
      /^\/api\/(v1)(?:\/namespaces\/([^/]+))?\/([^/]+)$/.exec(path) ??
      /^\/apis\/([^/]+\/[^/]+)(?:\/namespaces\/([^/]+))?\/([^/]+)$/.exec(path);
    if (!match) return undefined;
    const [, groupVersion = '', namespace, resource = ''] = match;
    const served = this.resourcesOf(groupVersion)?.find((entry) => entry.name === resource);
    if (!served) return undefined;
    return { resource, groupVersion, kind: served.kind, ...(namespace !== undefined && { namespace }) };
  }
}

const FILLER_CHUNK = Buffer.alloc(1024 * 1024, ' ');
/** 16 MiB of JSON whitespace, gzipped once: 16 KB. Repeated as gzip members, it inflates to anything. */
let gzipMember: Buffer | undefined;

/**
 * Streams a huge or bomb answer chunk by chunk, waiting for the client to take each one, and
 * counts what was sent until the client stops reading. Memory stays at one chunk.
 */
function streamFault(
  fault: Extract<FaultAction, { type: 'huge' | 'gzipBomb' }>,
  response: ServerResponse,
  record: RequestRecord,
): void {
  const head = Buffer.from('{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[]');
  const tail = Buffer.from('}');
  let chunks: Iterator<Buffer>;
  if (fault.type === 'huge') {
    const fill = Math.max(0, fault.bytes - head.length - tail.length);
    response.writeHead(200, {
      'Content-Type': 'application/json',
      ...(fault.declared && { 'Content-Length': String(fault.bytes) }),
    });
    chunks = (function* () {
      yield head;
      for (let left = fill; left > 0; left -= FILLER_CHUNK.length)
        yield left >= FILLER_CHUNK.length ? FILLER_CHUNK : FILLER_CHUNK.subarray(0, left);
      yield tail;
    })();
  } else {
    gzipMember ??= gzipSync(Buffer.alloc(16 * 1024 * 1024, ' '), { level: 9 });
    const members = Math.ceil(fault.inflatedBytes / (16 * 1024 * 1024));
    const member = gzipMember;
    response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
    chunks = (function* () {
      yield gzipSync(head);
      for (let index = 0; index < members; index++) yield member;
      yield gzipSync(tail);
    })();
  }
  record.bytesSent = 0;
  let closed = false;
  response.on('close', () => {
    closed = true;
  });
  const pump = () => {
    while (!closed) {
      const next = chunks.next();
      if (next.done) return void response.end();
      record.bytesSent = (record.bytesSent ?? 0) + next.value.length;
      if (!response.write(next.value)) return void response.once('drain', pump);
    }
  };
  pump();
}

interface ContinueState {
  resource: string;
  offset: number;
  page: number;
}

function encodeContinue(state: ContinueState): string {
  return Buffer.from(JSON.stringify(state)).toString('base64url');
}

function decodeContinue(token: string): ContinueState | undefined {
  try {
    const state = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<ContinueState>;
    if (
      typeof state.resource !== 'string' ||
      typeof state.offset !== 'number' ||
      typeof state.page !== 'number'
    ) {
      return undefined;
    }
    return { resource: state.resource, offset: state.offset, page: state.page };
  } catch {
    return undefined;
  }
}
