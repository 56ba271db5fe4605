import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CLI, REPO_ROOT } from './paths.ts';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI in a child process, as a user would (same Node as the tests). */
export function runCli(
  args: readonly string[],
  options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv; nodeArgs?: readonly string[] } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Node flags that make the CLI print its peak memory on exit, for peakRssMb to read. */
export const REPORT_PEAK_RSS = ['--import', fileURLToPath(new URL('./peak-rss.ts', import.meta.url))];

/** The CLI's peak resident memory in MB, as it printed it with REPORT_PEAK_RSS. */
export function peakRssMb(run: CliRun): number {
  const match = /^peak-rss-mb (\d+)$/m.exec(run.stderr);
  if (!match) throw new Error('the CLI did not report its peak memory');
  return Number(match[1]);
}
