import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** An ExecCredential as a plugin prints it. */
export const execCredential = (token: string) =>
  JSON.stringify({
    apiVersion: 'client.authentication.k8s.io/v1beta1',
    kind: 'ExecCredential',
    status: { token },
  });

/**
 * Writes an executable shell script to use as a kubeconfig exec plugin. `$PIDS` in the body
 * is a file the script may append process ids to, for a test to check they were stopped.
 */
export async function writePlugin(body: string): Promise<{ command: string; pids: () => Promise<number[]> }> {
  const dir = await mkdtemp(join(tmpdir(), 'dsa-plugin-'));
  const command = join(dir, 'plugin');
  const pidFile = join(dir, 'pids');
  await writeFile(command, `#!/bin/sh\nPIDS='${pidFile}'\n${body}\n`);
  await chmod(command, 0o755);
  return {
    command,
    pids: async () =>
      (await readFile(pidFile, 'utf8').catch(() => '')).split(/\s+/).filter(Boolean).map(Number),
  };
}

/** A plugin that never answers, and starts a child that would outlive a careless kill. */
export const HANGING_PLUGIN = 'echo $$ >> "$PIDS"\nsleep 300 &\necho $! >> "$PIDS"\nwait';

/** Whether a process still runs (a zombie waiting to be reaped has stopped). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}
