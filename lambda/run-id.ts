import { createHash, randomBytes } from 'node:crypto';

/**
 * A run's id, in one place because three parts depend on its exact shape: the report names the
 * run with it, the store uses it as a key segment (`runs/<runId>/`) and sorts runs by it, and the
 * fleet's Step Functions execution derives it. Sortable and unique: `20261122T030000Z-3f9a1c`.
 */
const RUN_ID = /^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$/;

export function isRunId(value: unknown): value is string {
  return typeof value === 'string' && RUN_ID.test(value);
}

/**
 * A new run id for a run started `at`. With a `seed` (a Step Functions execution's name) the
 * suffix comes from it, so planning the same execution twice gives the same run id.
 */
export function newRunId(at: Date, seed?: string): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const suffix =
    seed === undefined
      ? randomBytes(3).toString('hex')
      : createHash('sha256').update(seed).digest('hex').slice(0, 6);
  return `${stamp}-${suffix}`;
}
