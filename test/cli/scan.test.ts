import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { RULES } from '../../lambda/rules/catalog.ts';
import { FIXTURES_DIR } from '../helpers/paths.ts';
import { assertValidReport } from '../helpers/report-schema.ts';
import { runCli } from '../helpers/run-cli.ts';

const tempDir = () => mkdtemp(join(tmpdir(), 'dsa-cli-'));
const socketAgent = `${FIXTURES_DIR}manifests/mixed-folder/agents.yaml`;

describe('dockershim-audit scan', () => {
  test('writes report.json, .html and .md and says where they are', async () => {
    const out = await tempDir();
    const run = await runCli(['scan', '--manifests', socketAgent, '--out', out, '--cluster-name', 'staging']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Cluster staging: complete');
    expect(run.stdout).toContain('HIGH     DaemonSet monitoring/socket-agent');
    expect(run.stdout).toContain(`Report: ${join(out, 'report.html')}`);
    const report: unknown = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assertValidReport(report);
    expect(report.clusters[0]?.name).toBe('staging');
    expect(await readFile(join(out, 'report.md'), 'utf8')).toContain('**DaemonSet monitoring/socket-agent**');
    expect(JSON.parse(await readFile(join(out, 'diff.json'), 'utf8'))).toMatchObject({ baseline: true });
  });

  test('several paths after one --manifests', async () => {
    const out = await tempDir();
    const run = await runCli([
      'scan',
      '--manifests',
      socketAgent,
      `${FIXTURES_DIR}manifests/mixed-folder/nested`,
      '--out',
      out,
      '-q',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.clusters[0].objects).toEqual({ DaemonSet: 1, Deployment: 1, Pod: 1, WorkflowTemplate: 1 });
  });

  test('--fail-on exits 3 at or above the threshold and 0 below it', async () => {
    const out = await tempDir();
    expect(
      (await runCli(['scan', '--manifests', socketAgent, '--out', out, '-q', '--fail-on', 'high'])).code,
    ).toBe(3);
    expect(
      (await runCli(['scan', '--manifests', socketAgent, '--out', out, '-q', '--fail-on', 'critical'])).code,
    ).toBe(0);
  });

  test('a broken file: named with its line on stderr and in the report, the rest audited, exit 1', async () => {
    const out = await tempDir();
    const run = await runCli([
      'scan',
      '--manifests',
      `${FIXTURES_DIR}manifests/broken-files`,
      '--out',
      out,
      '--fail-on',
      'high',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: \[manifests\] .*helm-template\.yaml:11: /);
    expect(run.stderr).toMatch(/truncated\.json:4: /);
    const report: unknown = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assertValidReport(report);
    expect(report.clusters[0]?.status).toBe('partial');
    expect(report.clusters[0]?.findings.map((f) => f.resource.name)).toContain('good');
  });

  test('reads a snapshot from standard input', async () => {
    const out = await tempDir();
    const node = {
      kind: 'Node',
      apiVersion: 'v1',
      metadata: { name: 'old' },
      status: { nodeInfo: { containerRuntimeVersion: 'docker://20.10.7', kubeletVersion: 'v1.21.3' } },
    };
    const run = await runCli(['scan', '--manifests', '-', '--out', out], {
      input: JSON.stringify({ kind: 'List', items: [node] }),
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('HIGH     Node old');
  });

  test('an artifact that cannot be replaced: exit 1 naming it, no temporary file left, earlier reports complete', async () => {
    const out = await tempDir();
    await mkdir(join(out, 'report.md', 'occupied'), { recursive: true });
    const run = await runCli(['scan', '--manifests', socketAgent, '--out', out, '-q']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: cannot write .*report\.md: /m);
    assertValidReport(JSON.parse(await readFile(join(out, 'report.json'), 'utf8')));
    expect((await readdir(out)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  test('a file where the output folder should be: clear error and hint, exit 1, no stack trace', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'taken'), 'not a folder');
    const run = await runCli([
      'scan',
      '--manifests',
      socketAgent,
      '--out',
      join(dir, 'taken', 'reports'),
      '-q',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: cannot write .*taken\/reports/m);
    expect(run.stderr).toContain('hint: A file stands where the folder should be');
    expect(run.stderr).not.toContain('    at ');
  });

  test('--format writes only what is asked, and always the canonical JSON', async () => {
    const out = await tempDir();
    await mkdir(out, { recursive: true });
    const run = await runCli(['scan', '--manifests', socketAgent, '--out', out, '-q', '--format', 'md']);
    expect(run.code).toBe(0);
    await expect(readFile(join(out, 'report.md'), 'utf8')).resolves.toContain(
      '# Docker Engine dependency audit',
    );
    await expect(readFile(join(out, 'report.json'), 'utf8')).resolves.toContain('"schemaVersion": 1');
    await expect(readFile(join(out, 'report.html'), 'utf8')).rejects.toThrow();
  });

  test('a policy file with an error stops before anything is written', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'policy.yaml'), 'exemptions:\n  - rule: DS001\n');
    const run = await runCli([
      'scan',
      '--manifests',
      socketAgent,
      '--out',
      join(dir, 'out'),
      '--config',
      join(dir, 'policy.yaml'),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('exemptions[0].reason is required');
    await expect(readFile(join(dir, 'out', 'report.json'))).rejects.toThrow();
  });
});

describe('usage', () => {
  test.each([
    [['scan', '--bogus'], "unknown option '--bogus'"],
    [['scan', '--fail-on', 'urgent'], '--fail-on must be one of'],
    [['scan', '--format', 'pdf'], 'unknown format pdf'],
    [['scan', 'stray'], 'unexpected argument "stray"'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['scan', '--demo', '--manifests', 'x'], 'choose one source'],
  ])('%j exits 2 with a message', async (args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  test('help everywhere', async () => {
    const main = await runCli(['--help']);
    expect(main.code).toBe(0);
    expect(main.stdout).toContain('dockershim-audit scan [source] [options]');
    const scan = await runCli(['scan', '--help']);
    expect(scan.stdout).toContain('--fail-on SEVERITY');
    expect((await runCli(['help', 'rules'])).stdout).toContain('--format text|json|markdown');
  });

  test('rules lists the catalog', async () => {
    const run = await runCli(['rules']);
    expect(run.stdout.split('\n')[0]).toMatch(/^DS001 {2}high {6}Mounts the node's Docker Engine socket$/);
    const json = JSON.parse((await runCli(['rules', '--format', 'json'])).stdout);
    expect(json.map((rule: { id: string }) => rule.id)).toEqual(RULES.map((rule) => rule.id));
  });

  test('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
    expect((await runCli(['--version'])).stdout.trim()).toBe(pkg.version);
  });
});
