import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO_ROOT } from './helpers/paths.ts';

/** Vitest over the real kube-apiserver tier as `npm test` runs it, with no binary built. */
function runTierWithoutBinary(env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return mkdtemp(join(tmpdir(), 'dsa-no-apiserver-')).then(
    (emptyCache) =>
      new Promise((resolve, reject) => {
        const { KUBE_APISERVER: _binary, REAL_APISERVER: _required, ...inherited } = process.env;
        const child = spawn(
          process.execPath,
          // The slash matters: a filter is a substring, and without it this file would run itself.
          [`${REPO_ROOT}node_modules/vitest/vitest.mjs`, 'run', 'test/real-apiserver/'],
          {
            cwd: REPO_ROOT,
            env: { ...inherited, DOCKERSHIM_AUDIT_CACHE: emptyCache, NO_COLOR: '1', ...env },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let output = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          output += chunk;
        });
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
          output += chunk;
        });
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, output }));
      }),
  );
}

describe('the real kube-apiserver tier without its binary', () => {
  test('npm test passes and its last line says the tier was skipped, why, and how to build it', async () => {
    const run = await runTierWithoutBinary({});
    expect(run.code).toBe(0);
    expect(run.output.trim().split('\n').at(-1)).toMatch(
      /^real kube-apiserver tier SKIPPED \(4 files in test\/real-apiserver\): no kube-apiserver built from these inputs in .*dsa-no-apiserver-.*\. Build it with scripts\/real-apiserver\/build\.sh/,
    );
  }, 240_000);

  test('with REAL_APISERVER=required (as .ci/run sets it) the run fails and says why', async () => {
    const run = await runTierWithoutBinary({ REAL_APISERVER: 'required' });
    expect(run.code).toBe(1);
    expect(run.output).toContain(
      'real kube-apiserver tier cannot run (REAL_APISERVER=required): no kube-apiserver built from these inputs',
    );
    expect(run.output).not.toContain('tier SKIPPED');
  }, 240_000);
});
