import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.ts';
import { realApiServerForTests } from './server.ts';

const binary = realApiServerForTests();
const run = promisify(execFile);

describe.runIf(binary !== undefined)('npm run bench -- --server real (a smoke run)', () => {
  test('loads a small generated cluster into a real kube-apiserver, measures audit, floor and kubectl, and ends with the JSON line', async () => {
    const { stdout } = await run(
      process.execPath,
      [`${REPO_ROOT}bench/run.ts`, '--server', 'real', '--pods', '300', '--repeat', '1'],
      {
        cwd: REPO_ROOT,
        timeout: 600_000,
        env: {
          ...process.env,
          KUBECTL: process.env.KUBECTL ?? 'kubectl',
          ...(binary !== undefined && { KUBE_APISERVER: binary }),
        },
      },
    );
    const lines = stdout.trim().split('\n');
    expect(lines[1]).toMatch(/^\s*300\s+10\s/);
    const summary = JSON.parse(lines.at(-1) ?? '{}');
    expect(summary).toMatchObject({ server: 'real', pods: 300 });
    for (const key of Object.keys(summary).slice(2)) expect(summary[key]).toBeGreaterThan(0);
  }, 660_000);
});
