import { describe, expect, test } from 'vitest';
import { identityOf } from '../../lambda/audit/object-identity.ts';
import type { KubeObject } from '../../lambda/kube/objects.ts';
import { podSpec } from '../helpers/objects.ts';

const socketPod = (metadata?: Record<string, unknown>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  ...(metadata && { metadata }),
  spec: podSpec({
    hostPaths: { s: '/var/run/docker.sock' },
    containers: [{ name: 'build', mounts: [{ volume: 's', at: '/var/run/docker.sock' }] }],
  }),
});
const origin = { source: 'k8s/ci.yaml', document: 2, items: [3, 1] };

describe('what an object without metadata.name is called', () => {
  test('its generateName with a marker no real name can hold; else its place in the input', () => {
    expect(identityOf(socketPod({ generateName: 'runner-', namespace: 'ci' }), origin)).toEqual({
      ref: { kind: 'Pod', namespace: 'ci', name: 'runner-(generated)' },
      standIn: true,
    });
    expect(identityOf(socketPod(), origin)?.ref).toEqual({
      kind: 'Pod',
      name: '(unnamed: k8s/ci.yaml document 2 item 3.1)',
    });
    expect(identityOf(socketPod({ name: '' }), { ...origin, items: [] })?.ref.name).toBe(
      '(unnamed: k8s/ci.yaml document 2)',
    );
  });

  test('from a live source (no place): its uid, else a hash of its spec that is the same for the same spec', () => {
    expect(identityOf(socketPod({ uid: 'u-1' }))?.ref.name).toBe('(unnamed: uid u-1)');
    const hashed = identityOf(socketPod())?.ref.name;
    expect(hashed).toMatch(/^\(unnamed: spec sha256 [0-9a-f]{16}\)$/);
    expect(identityOf(socketPod())?.ref.name).toBe(hashed);
  });

  test('a name YAML read as a number is the name its author gave; a named object is not a stand-in', () => {
    expect(identityOf(socketPod({ name: 123 }))).toEqual({
      ref: { kind: 'Pod', name: '123' },
      standIn: false,
    });
    expect(identityOf(socketPod({ name: 'p' }))).toEqual({ ref: { kind: 'Pod', name: 'p' }, standIn: false });
  });
});
