import { describe, expect, test } from 'vitest';
import { notifySecrets } from '../../lambda/notify/notify-run.ts';
import { environmentSecrets, headerSecrets, REDACTED, Redactor } from '../../lambda/redact.ts';
import { Secret } from '../../lambda/secret.ts';
import { createTestPki } from '../simulator/certificates.ts';

describe('the run’s secrets', () => {
  test('a registered value is replaced as is, URL-encoded and JSON-escaped, inside words too', () => {
    const secrets = new Redactor().add('p@ss/w"rd-123456');
    const text = `raw p@ss/w"rd-123456, url ${encodeURIComponent('p@ss/w"rd-123456')}, json ${JSON.stringify('p@ss/w"rd-123456')}, glued xp@ss/w"rd-123456x`;
    expect(secrets.redact(text)).toBe(
      `raw ${REDACTED}, url ${REDACTED}, json "${REDACTED}", glued x${REDACTED}x`,
    );
  });

  test('the longest value goes first, so a URL is replaced whole before its path', () => {
    const secrets = new Redactor().add(
      '/services/T0/B0/abcdefgh',
      'https://hooks.example/services/T0/B0/abcdefgh',
    );
    expect(secrets.redact('posted to https://hooks.example/services/T0/B0/abcdefgh')).toBe(
      `posted to ${REDACTED}`,
    );
  });

  test('a short value only as a whole word; under four characters it cannot be told from text', () => {
    const secrets = new Redactor().add('admin', 'abc');
    expect(secrets.redact('admin logged in as administrator, abc')).toBe(
      `${REDACTED} logged in as administrator, abc`,
    );
  });

  test('a URL’s password and credential query values; nothing of a URL without them', () => {
    const secrets = new Redactor()
      .addUrl('https://auditor:pa55word-x@k8s.example:6443/k8s/clusters/c-1')
      .addUrl('https://prod.example/workflows/run?api-version=1&sig=SiGnAtUrE-0123456789');
    expect(secrets.redact('pa55word-x and SiGnAtUrE-0123456789, api-version 1')).toBe(
      `${REDACTED} and ${REDACTED}, api-version 1`,
    );
  });

  test('a client key: the registered PEM, and any private key block by its shape', async () => {
    const pki = await createTestPki();
    const { keyPem } = await pki.issueClientCertificate('auditor');
    const secrets = new Redactor().add(keyPem);
    expect(secrets.redact(`tls: ${keyPem}`)).toBe(`tls: ${REDACTED}`);
    // One line of it, or the whole of it as a kubeconfig's client-key-data.
    const line = keyPem.split('\n')[2] ?? '';
    expect(secrets.redact(`bad key near "${line}"`)).toBe(`bad key near "${REDACTED}"`);
    expect(secrets.redact(`client-key-data: ${Buffer.from(keyPem).toString('base64')}`)).toBe(
      `client-key-data: ${REDACTED}`,
    );
    const other = pki.serverKeyPem;
    expect(new Redactor().redact(`key ${other} end`)).toBe(`key ${REDACTED} (private key) end`);
    // Cut off after its first line (a plugin's stderr kept to one line) it is still replaced.
    const firstLine = other.split('\n').slice(0, 2).join(' ');
    expect(new Redactor().redact(`oops ${firstLine}`)).toBe(`oops ${REDACTED} (private key)`);
  });

  test('credential headers: the whole value, the token, and for Basic the pair and the password', () => {
    const basic = Buffer.from('auditor:hunter2-pw').toString('base64');
    expect(
      headerSecrets({ Authorization: `Basic ${basic}`, Accept: 'application/json', 'User-Agent': 'x' }),
    ).toEqual([`Basic ${basic}`, basic, 'auditor:hunter2-pw', 'hunter2-pw']);
    expect(headerSecrets({ authorization: 'Bearer abc.def-123' })).toEqual([
      'Bearer abc.def-123',
      'abc.def-123',
    ]);
  });

  test('the AWS secret key and session token of the environment, not the key id nor a stand-in', () => {
    expect(
      environmentSecrets({
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        AWS_SESSION_TOKEN: '',
      }),
    ).toEqual(['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY']);
    // LocalStack's keys are no secret, and `test` is a fine cluster name.
    expect(environmentSecrets({ AWS_SECRET_ACCESS_KEY: 'test' })).toEqual([]);
  });
});

test('a webhook URL’s secrets are its token parts, not the words of its path', () => {
  const secrets = new Redactor().add(
    ...notifySecrets({
      webhooks: [
        {
          url: new Secret('https://hooks.slack.com/services/T0123/B0456/AbCdEfGhIjKlMnOpQrStUvWx'),
          format: 'slack',
        },
      ],
    }),
  );
  expect(secrets.redact('microservices in namespace services; token AbCdEfGhIjKlMnOpQrStUvWx')).toBe(
    `microservices in namespace services; token ${REDACTED}`,
  );
});

describe('credentials by their shape, whoever sent them', () => {
  const shapes = new Redactor();
  test.each([
    [
      'a JWT',
      'token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl rejected',
      `token ${REDACTED} rejected`,
    ],
    ['a bearer token', 'Authorization: Bearer 0123456789abcdef', `Authorization: Bearer ${REDACTED}`],
    ['an EKS token', 'bad token k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9u', `bad token k8s-aws-v1.${REDACTED}`],
    ['an AWS access key id', 'key AKIAIOSFODNN7EXAMPLE denied', `key ${REDACTED} denied`],
    [
      'an AWS session token',
      'token IQoJb3JpZ2luX2VjEJr//////////wEaCXVz invalid',
      `token ${REDACTED} invalid`,
    ],
    [
      'a password in a URL',
      'GET https://admin:hunter2@10.0.0.1:6443/api',
      `GET https://admin:${REDACTED}@10.0.0.1:6443/api`,
    ],
    ['a refresh token in JSON', '{"refresh_token": "1//0gAbCdEf-123"}', `{"refresh_token": "${REDACTED}"}`],
    [
      'a secret key setting',
      'aws_secret_access_key=wJalrXUtnFEMI/K7MDENG',
      `aws_secret_access_key=${REDACTED}`,
    ],
    ['a presigned signature', '?X-Amz-Signature=0a1b2c3d4e5f6a7b&x=1', `?X-Amz-Signature=${REDACTED}&x=1`],
  ])('%s', (_what, text, expected) => {
    expect(shapes.redact(text)).toBe(expected);
  });

  test.each([
    'DS001-3f9a1c2b7d DaemonSet monitoring/agent hostPath /var/run/docker.sock',
    'Cluster url-password: complete, 6 nodes',
    'Bearer authentication. Basic auth is off',
    'cannot fetch token: 400 Bad Request',
    'DOCKER_HOST=unix:///var/run/docker.sock',
    'https://127.0.0.1:6443/apis/apps/v1/daemonsets?limit=500',
    'secrets "x" is forbidden: User "system:serviceaccount:audit:reader" cannot get resource "secrets"',
    'cannot read secret arn:aws:secretsmanager:us-east-1:123456789012:secret:kubeconfig-AbCdEf: AccessDenied',
  ])('keeps what only looks near one: %s', (text) => {
    expect(shapes.redact(text)).toBe(text);
  });

  test('redactDeep copies plain values with every string redacted, and leaves the rest alone', () => {
    const when = new Date(0);
    const value = { list: ['Bearer 0123456789abcdef', 3], nested: { ok: true, when } };
    const copy = new Redactor().redactDeep(value);
    expect(copy).toEqual({ list: [`Bearer ${REDACTED}`, 3], nested: { ok: true, when } });
    expect(value.list[0]).toBe('Bearer 0123456789abcdef');
  });
});
