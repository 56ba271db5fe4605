import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, test } from 'vitest';
import { sha256Hex } from '../../lambda/sha256.ts';
import { LocalDirectoryStore } from '../../lambda/store/local-store.ts';
import { verifyStore } from '../../lambda/store/verify.ts';
import { runCli } from '../helpers/run-cli.ts';
import { scanManifests, socketAgent, writeSnapshot } from '../helpers/scans.ts';

let dir: string;
let runs: string[];

/** Three stored runs, oldest first. */
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dsa-verify-'));
  const input = await writeSnapshot(join(dir, 'input'), 'in.json', [socketAgent('agent')]);
  const store = new LocalDirectoryStore(join(dir, 'store'));
  runs = [];
  for (let index = 0; index < 3; index++)
    runs.push((await scanManifests({ prod: [input] }, store)).report.runId);
});

const storeDir = () => join(dir, 'store');
const runFile = (run: number, name: string) => join(storeDir(), 'runs', runs[run] ?? '', name);
const verify = () => verifyStore(new LocalDirectoryStore(storeDir()));

describe('verify walks the hash chain', () => {
  test('an untouched store: every run, newest first, intact', async () => {
    const result = await verify();
    expect(result.problems).toEqual([]);
    expect(result.runs.map((run) => [run.runId, run.artifacts, run.intact])).toEqual([
      [runs[2], 4, true],
      [runs[1], 4, true],
      [runs[0], 4, true],
    ]);
  });

  test('an edited artifact in an older run is named', async () => {
    const path = runFile(0, 'report.html');
    await writeFile(path, (await readFile(path, 'utf8')).replace('critical', 'fine'));
    const result = await verify();
    expect(result.problems).toEqual([
      {
        kind: 'changed',
        key: `runs/${runs[0]}/report.html`,
        detail: expect.stringMatching(/SHA-256 is [0-9a-f]{64}/),
      },
    ]);
    expect(result.runs.map((run) => run.intact)).toEqual([true, true, false]);
  });

  test('an artifact edited together with its manifest: the next run recorded the old manifest', async () => {
    const report = runFile(1, 'report.json');
    const edited = (await readFile(report, 'utf8')).replace('"high"', '"low"');
    await writeFile(report, edited);
    const manifestPath = runFile(1, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    manifest.artifacts[0].sha256 = sha256Hex(edited);
    await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    const result = await verify();
    expect(result.problems).toEqual([
      {
        kind: 'changed',
        key: `runs/${runs[1]}/manifest.json`,
        detail: expect.stringContaining(`runs/${runs[2]}/manifest.json recorded`),
      },
    ]);
  });

  test('a removed artifact, an added one, and a run taken out of the middle', async () => {
    await rm(runFile(2, 'diff.json'));
    await appendFile(join(storeDir(), 'runs', runs[2] ?? '', 'extra.html'), '<p>not ours</p>');
    await rm(join(storeDir(), 'runs', runs[1] ?? ''), { recursive: true });
    const result = await verify();
    expect(result.problems.map((problem) => [problem.kind, problem.key])).toEqual([
      ['removed', `runs/${runs[2]}/diff.json`],
      ['added', `runs/${runs[2]}/extra.html`],
      ['removed', `runs/${runs[1]}/manifest.json`],
      ['unchained', `runs/${runs[0]}/`],
    ]);
    expect(result.problems[3]?.detail).toContain('the chain is cut above it');
    expect(result.unchained).toEqual([runs[0]]);
  });

  test('a manifest entry that names no file of the run (`..`): that run is not intact, every other run is still checked', async () => {
    const manifestPath = runFile(1, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    manifest.artifacts.push({ name: '..', contentType: 'text/plain', bytes: 0, sha256: sha256Hex('') });
    manifest.artifacts.push({ name: 'report.json', sha256: 'not a hash' });
    await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    const report = runFile(0, 'report.md');
    await appendFile(report, '\nedited\n');

    const result = await verify();
    expect(result.problems.map((problem) => [problem.kind, problem.key])).toEqual([
      ['changed', `runs/${runs[1]}/manifest.json`],
      ['unreadable', `runs/${runs[1]}/manifest.json`],
      ['unreadable', `runs/${runs[1]}/manifest.json`],
      ['changed', `runs/${runs[0]}/report.md`],
    ]);
    expect(result.problems[1]?.detail).toBe('artifact entry 5 ".." is not a file of this run with a SHA-256');
    expect(result.runs.map((run) => [run.runId, run.intact])).toEqual([
      [runs[2], true],
      [runs[1], false],
      [runs[0], false],
    ]);
    const cli = await runCli(['verify', '--store', storeDir(), '-q']);
    expect(cli.code).toBe(4);
    expect(cli.stderr).toContain('Chain of 3 runs: 4 problems.');
  });

  test('the CLI: exit 0 when intact, 4 naming the changed file, 1 with a hint for an empty store', async () => {
    const intact = await runCli(['verify', '--store', storeDir()]);
    expect(intact.code).toBe(0);
    expect(intact.stdout).toContain(`ok   ${runs[2]}  4 artifacts`);
    expect(intact.stdout).toContain('Chain of 3 runs: every artifact matches its manifest.');

    await appendFile(runFile(1, 'report.md'), '\nAll clear, nothing to do.\n');
    const tampered = await runCli(['verify', '--store', storeDir(), '--quiet']);
    expect(tampered.code).toBe(4);
    expect(tampered.stdout).toBe('');
    expect(tampered.stderr).toContain(`CHANGED    runs/${runs[1]}/report.md: its SHA-256 is`);
    expect(tampered.stderr).toContain('Chain of 3 runs: 1 problem.');

    const empty = await runCli(['verify', '--store', join(dir, 'nothing-here')]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('error: no stored runs in');
    expect(empty.stderr).toContain('hint: Name the store');
  });
});
