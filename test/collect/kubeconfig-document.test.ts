import { describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { KubeconfigError } from '../../lambda/collect/errors.ts';
import { parseKubeconfig } from '../../lambda/collect/kube/kubeconfig-document.ts';

type Json = Record<string, unknown>;

/** A kubeconfig with one context `c`, its cluster and user changed by the case. */
function kubeconfig(changes: { top?: Json; cluster?: Json; user?: Json; context?: Json } = {}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'c',
    clusters: [{ name: 'k', cluster: { server: 'https://127.0.0.1:6443', ...changes.cluster } }],
    users: [{ name: 'u', user: { token: 't', ...changes.user } }],
    contexts: [{ name: 'c', context: { cluster: 'k', user: 'u', ...changes.context } }],
    ...changes.top,
  });
}

const parse = (text: string, dir?: string) =>
  parseKubeconfig([{ origin: 'config', text, ...(dir !== undefined && { dir }) }]);

function errorOf(run: () => unknown): KubeconfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof KubeconfigError) return error;
    throw error;
  }
  throw new Error('no error');
}

describe('a kubeconfig outline that is wrong stops the read, naming the field', () => {
  test.each([
    [
      'current-context: {a: 1}',
      { top: { 'current-context': { a: 1 } } },
      'current-context must be a context name, not a mapping',
    ],
    [
      'current-context: 7',
      { top: { 'current-context': 7 } },
      'current-context must be a context name, not a number',
    ],
    ['contexts: a mapping', { top: { contexts: { c: {} } } }, 'contexts must be a list, not a mapping'],
    ['users: a string', { top: { users: 'u' } }, 'users must be a list, not a string'],
    [
      'a context that is a string',
      { top: { contexts: ['c'] } },
      'contexts[0] must be a mapping, not a string',
    ],
    [
      'a cluster name that is a number',
      { top: { clusters: [{ name: 7, cluster: {} }] } },
      'clusters[0].name must be a non-empty string',
    ],
  ])('%s', (_, changes, message) => {
    const error = errorOf(() => parse(kubeconfig(changes)));
    expect(error.message).toBe(`kubeconfig config: ${message}`);
    expect(error.code).toBe('KUBECONFIG_INVALID');
  });

  test.each([
    ['a list', '- a\n- b\n', 'must be a mapping (apiVersion, clusters, users, contexts), not a list'],
    ['not YAML', 'clusters: [\n', 'not valid YAML'],
    [
      'an alias bomb',
      `a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 12 }, (_, i) => `b${i}: &b${i} [${(i === 0 ? '*a, ' : `*b${i - 1}, `).repeat(10).slice(0, -2)}]`).join('\n')}\n`,
      'not valid YAML',
    ],
  ])('a document that is %s', (_, text, message) => {
    expect(errorOf(() => parse(text)).message).toContain(message);
  });

  test('an empty file is a kubeconfig without contexts', () => {
    expect(parse('').contextNames).toEqual([]);
  });
});

describe("an entry's values are checked when a context uses it, so only that context fails", () => {
  test.each([
    [
      'server: 6443',
      { cluster: { server: 6443 } },
      'clusters[0] ("k"): cluster.server must be a string, not a number',
    ],
    [
      'server: not a URL',
      { cluster: { server: 'localhost' } },
      'clusters[0] ("k"): cluster.server is not a URL: "localhost"',
    ],
    ['server: ftp://', { cluster: { server: 'ftp://x' } }, 'cluster.server must be an https:// URL'],
    [
      'insecure-skip-tls-verify: "true"',
      { cluster: { 'insecure-skip-tls-verify': 'true' } },
      'cluster.insecure-skip-tls-verify must be true or false, not a string',
    ],
    [
      'certificate-authority-data: a list',
      { cluster: { 'certificate-authority-data': ['x'] } },
      'cluster.certificate-authority-data must be a string, not a list',
    ],
    ['token: 123', { user: { token: 123 } }, 'users[0] ("u"): user.token must be a string, not a number'],
    ['exec without a command', { user: { exec: { args: [] } } }, 'user.exec.command is required'],
    [
      'exec args: [1]',
      { user: { exec: { command: 'x', args: [1] } } },
      'user.exec.args[0] must be a string, not a number',
    ],
    [
      'exec env: a mapping',
      { user: { exec: { command: 'x', env: { A: 'b' } } } },
      'user.exec.env must be a list, not a mapping',
    ],
    [
      'exec env without a name',
      { user: { exec: { command: 'x', env: [{ value: 'b' }] } } },
      'user.exec.env[0].name is required',
    ],
    [
      'exec interactiveMode: Sometimes',
      { user: { exec: { command: 'x', interactiveMode: 'Sometimes' } } },
      'user.exec.interactiveMode must be one of Never, IfAvailable, Always',
    ],
    [
      'auth-provider config value: 1',
      { user: { 'auth-provider': { name: 'oidc', config: { 'client-id': 1 } } } },
      'user.auth-provider.config.client-id must be a string, not a number',
    ],
    [
      'context cluster: a list',
      { context: { cluster: ['k'] } },
      'contexts[0] ("c"): context.cluster must be a string, not a list',
    ],
    [
      'a context naming a missing cluster',
      { context: { cluster: 'gone' } },
      'contexts[0] ("c") names cluster "gone", which is not in the kubeconfig',
    ],
    [
      'a context naming a missing user',
      { context: { user: 'gone' } },
      'contexts[0] ("c") names user "gone", which is not in the kubeconfig',
    ],
  ])('%s', (_, changes, message) => {
    const config = parse(kubeconfig(changes));
    expect(config.contextNames).toEqual(['c']);
    expect(errorOf(() => config.resolve('c')).message).toContain(message);
  });

  test('a good context is resolved with its values', () => {
    const config = parse(
      kubeconfig({
        cluster: { 'insecure-skip-tls-verify': true, 'certificate-authority': 'ca.pem' },
        user: { exec: { command: './bin/get-token', args: ['--x'], env: [{ name: 'A', value: 'b' }] } },
      }),
      '/home/me/.kube',
    );
    expect(config.currentContext).toBe('c');
    expect(config.resolve('c')).toEqual({
      name: 'c',
      cluster: {
        name: 'k',
        server: 'https://127.0.0.1:6443',
        insecureSkipTlsVerify: true,
        caFile: '/home/me/.kube/ca.pem',
      },
      user: {
        name: 'u',
        token: 't',
        exec: {
          command: '/home/me/.kube/bin/get-token',
          args: ['--x'],
          env: [{ name: 'A', value: 'b' }],
          apiVersion: 'client.authentication.k8s.io/v1beta1',
          provideClusterInfo: false,
        },
      },
    });
  });
});

describe('several files merge as kubectl merges them', () => {
  test('the first file to name an entry or a current context wins', () => {
    const first = stringify({
      clusters: [{ name: 'k', cluster: { server: 'https://first' } }],
      contexts: [{ name: 'c', context: { cluster: 'k' } }],
    });
    const second = stringify({
      'current-context': 'd',
      clusters: [
        { name: 'k', cluster: { server: 'https://second' } },
        { name: 'j', cluster: { server: 'https://j' } },
      ],
      contexts: [
        { name: 'c', context: { cluster: 'j' } },
        { name: 'd', context: { cluster: 'k' } },
      ],
    });
    const config = parseKubeconfig([
      { origin: 'a', text: first },
      { origin: 'b', text: second },
    ]);
    expect(config.currentContext).toBe('d');
    expect(config.contextNames).toEqual(['c', 'd']);
    expect(config.resolve('c').cluster.server).toBe('https://first');
    expect(config.resolve('d').cluster.server).toBe('https://first');
  });
});
