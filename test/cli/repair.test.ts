import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';
import { socketAgent, writeSnapshot } from '../helpers/scans.ts';

/** A folder store with `count` runs made by the CLI, oldest first. */
async function storeWithRuns(
  count: number,
): Promise<{ dir: string; store: string; input: string; runs: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'dsa-repair-'));
  const input = await writeSnapshot(dir, 'in.json', [socketAgent('agent')]);
  const store = join(dir, 'store');
  const runs: string[] = [];
  for (let index = 0; index < count; index++) runs.push(await scan(store, input, dir));
  return { dir, store, input, runs };
}

async function scan(store: string, input: string, dir: string): Promise<string> {
  const run = await runCli(['scan', '--manifests', input, '--store', store, '--out', join(dir, 'out'), '-q']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return latestRun(store);
}

async function latestRun(store: string): Promise<string> {
  return (JSON.parse(await readFile(join(store, 'latest.json'), 'utf8')) as { runId: string }).runId;
}

describe('a broken head stops scan; repair re-derives it from the verified chain', () => {
  test('garbage in latest.json: scan stores nothing and says how to repair; repair restores the head; the chain goes on', async () => {
    const { dir, store, input, runs } = await storeWithRuns(2);
    await writeFile(join(store, 'latest.json'), 'garbage');

    const refused = await runCli([
      'scan',
      '--manifests',
      input,
      '--store',
      store,
      '--out',
      join(dir, 'out'),
      '-q',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^error: .*latest\.json: cannot be read: it is not a pointer this tool writes$/m,
    );
    expect(refused.stderr).toMatch(
      /^hint: .*"dockershim-audit verify --store .*", then .*"dockershim-audit repair --store /m,
    );
    expect(refused.stderr).not.toContain('    at ');
    expect((await readdir(join(store, 'runs'))).sort()).toEqual(runs);

    const verified = await runCli(['verify', '--store', store]);
    expect(verified.code).toBe(4);
    expect(verified.stderr).toMatch(
      /^UNREADABLE latest\.json: not a pointer this tool writes; a "repair" re-derives it/m,
    );
    expect(verified.stderr).toContain(`UNCHAINED  runs/${runs[1]}/`);

    const repaired = await runCli(['repair', '--store', store]);
    expect(repaired.stderr).toBe('');
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toContain(`names run ${runs[1]} again: its chain of 2 runs verifies.`);
    expect(await latestRun(store)).toBe(runs[1]);

    const next = await runCli(['scan', '--manifests', input, '--store', store, '--out', join(dir, 'out')]);
    expect(next.code).toBe(0);
    expect(next.stdout).toContain(`Since run ${runs[1]}: 0 new`);
    const after = await runCli(['verify', '--store', store]);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('Chain of 3 runs: every artifact matches its manifest.');

    const again = await runCli(['repair', '--store', store]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('is sound');
    expect(again.stdout).toContain('nothing to repair');
  }, 120_000);

  test('latest.json deleted while runs are stored: scan refuses instead of starting a second chain', async () => {
    const { dir, store, input, runs } = await storeWithRuns(1);
    await rm(join(store, 'latest.json'));
    const refused = await runCli([
      'scan',
      '--manifests',
      input,
      '--store',
      store,
      '--out',
      join(dir, 'out'),
      '-q',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `latest.json: is missing, but the store holds 1 complete run (the newest: ${runs[0]})`,
    );
    expect(await readdir(join(store, 'runs'))).toEqual(runs);

    expect((await runCli(['repair', '--store', store])).code).toBe(0);
    expect(await latestRun(store)).toBe(runs[0]);
  }, 120_000);

  test('a fork: repair will not choose between two newest runs, --run does, and verify names the other', async () => {
    const { dir, store, input, runs } = await storeWithRuns(1);
    const [first] = runs as [string];
    const pointerAtFirst = await readFile(join(store, 'latest.json'), 'utf8');
    const second = await scan(store, input, dir);
    // Someone moves latest.json back by hand; the next scan chains onto the first run again.
    await writeFile(join(store, 'latest.json'), pointerAtFirst);
    const third = await scan(store, input, dir);
    await rm(join(store, 'latest.json'));

    const refused = await runCli(['repair', '--store', store]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('2 runs are each the newest of a chain');
    expect(refused.stderr).toContain('hint: Look at them with "verify", then choose one with --run RUN_ID');
    const notNewest = await runCli(['repair', '--store', store, '--run', first]);
    expect(notNewest.code).toBe(1);
    expect(notNewest.stderr).toContain(`run ${first} is not the newest of its chain`);

    const chosen = await runCli(['repair', '--store', store, '--run', second]);
    expect(chosen.code).toBe(0);
    expect(chosen.stdout).toContain(`Outside the chain, and named by verify: run ${third}.`);
    const verified = await runCli(['verify', '--store', store]);
    expect(verified.code).toBe(4);
    expect(verified.stderr).toMatch(
      new RegExp(
        `^UNCHAINED  runs/${third}/: a complete run outside the chain: it chains onto run ${first}, which the chain continues past`,
        'm',
      ),
    );
  }, 120_000);

  test.each([
    [['repair', '--run', 'yesterday'], '--run: "yesterday" is not a run id'],
    [['repair', 'stray'], 'unexpected argument "stray"'],
  ])('%j exits 2 with a message', async (args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });
});
