import { hostname } from 'node:os';
import { errnoCode } from './atomic-file.ts';

/** Who holds a lock: a process on a machine. */
export interface LockOwner {
  pid: number;
  host: string;
}

export function parseLockOwner(text: string | undefined): LockOwner | undefined {
  try {
    const value: unknown = JSON.parse(text ?? '');
    const owner = value as Partial<LockOwner>;
    return typeof owner?.pid === 'number' && typeof owner.host === 'string'
      ? { pid: owner.pid, host: owner.host }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the owner may still hold its lock: another machine's process, or a live one here. */
export function processIsAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}
