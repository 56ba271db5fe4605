import { cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import MarkdownIt from 'markdown-it';
import { describe, expect, test } from 'vitest';
import { resourceLabel } from '../../lambda/kube/resource-label.ts';
import { escapeMarkdown } from '../../lambda/report/escape.ts';
import type { Report } from '../../lambda/report/model.ts';
import { renderReport, templatesDir } from '../../lambda/report/render.ts';
import { CORPUS_DIR, FIXTURES_DIR, REPO_ROOT } from '../helpers/paths.ts';
import { assertValidReport } from '../helpers/report-schema.ts';
import { scanManifests } from '../helpers/scans.ts';

// GitHub-like: raw HTML passes through, bare URLs become links. Whatever gets through here
// would get through on GitHub too.
const markdown = new MarkdownIt({ html: true, linkify: true });
const html = (text: string) => Handlebars.Utils.escapeExpression(text);
const bodyOf = (artifacts: Array<{ name: string; body: string }>, name: string) =>
  artifacts.find((artifact) => artifact.name === name)?.body ?? '';

describe('reports rendered from the vendor corpus and the demo cluster', async () => {
  const run = await scanManifests(
    { corpus: [CORPUS_DIR], demo: [join(REPO_ROOT, 'demo', 'cluster.json')] },
    undefined,
  );
  const report: Report = run.report;
  const htmlReport = bodyOf(run.artifacts, 'report.html');
  const markdownReport = bodyOf(run.artifacts, 'report.md');
  const affected = report.clusters.flatMap((cluster) =>
    cluster.workloads.filter((workload) => workload.verdict !== 'info'),
  );

  test('the corpus gives a report worth rendering', () => {
    assertValidReport(report);
    expect(affected.length).toBeGreaterThan(20);
    expect(new Set(affected.map((workload) => workload.verdict))).toEqual(
      new Set(['critical', 'high', 'medium', 'low']),
    );
  });

  test('HTML: every affected workload with its verdict, evidence, remediation and vendor guidance', () => {
    for (const workload of affected)
      expect(htmlReport, resourceLabel(workload.resource)).toContain(html(resourceLabel(workload.resource)));
    const findings = report.clusters
      .flatMap((cluster) => cluster.findings)
      .filter((finding) => finding.severity !== 'info');
    for (const finding of findings) {
      if (finding.evidence.hostPath)
        expect(htmlReport).toContain(`<code>${html(finding.evidence.hostPath)}</code>`);
      expect(htmlReport).toContain(html(finding.remediation));
      if (finding.agent) expect(htmlReport).toContain(html(finding.agent.guidance));
    }
    expect(htmlReport).toContain('<meta http-equiv="Content-Security-Policy" content="default-src \'none\';');
    expect(htmlReport).not.toMatch(/<script|<link |<img |src="http|url\(/i);
  });

  test('Markdown: a summary table and one line per affected workload, all parsing as GFM', () => {
    const rendered = markdown.render(markdownReport);
    for (const workload of affected)
      expect(rendered, resourceLabel(workload.resource)).toContain(
        `<strong>${html(resourceLabel(workload.resource))}</strong>`,
      );
    expect(rendered).toMatch(/<th>Severity<\/th>/);
    expect(rendered).toContain('<h2>Cluster corpus (complete)</h2>');
    expect(rendered).toContain('<h2>Cluster demo (complete)</h2>');
    expect(rendered).not.toMatch(/<a |<img|<script|<code>/);
    expect(markdownReport.length).toBeLessThan(htmlReport.length / 4);
  });

  test('the footer carries the SHA-256 of report.json and diff.json', async () => {
    const { sha256Hex } = await import('../../lambda/sha256.ts');
    for (const name of ['report.json', 'diff.json']) {
      const digest = sha256Hex(bodyOf(run.artifacts, name));
      expect(htmlReport).toContain(`sha256:${digest}`);
      expect(markdownReport).toContain(`${name} sha256:${digest}`);
    }
  });
});

describe('cluster data in the reports is text, never markup', async () => {
  const run = await scanManifests(
    { 'staging|`x`': [join(FIXTURES_DIR, 'manifests', 'injection')] },
    undefined,
  );
  const htmlReport = bodyOf(run.artifacts, 'report.html');
  const markdownReport = bodyOf(run.artifacts, 'report.md');

  test('HTML escapes every string from the cluster', () => {
    expect(run.report.clusters[0]?.findings.map((finding) => finding.rule).sort()).toEqual([
      'DS001',
      'DS004',
      'DS022',
    ]);
    expect(htmlReport).not.toMatch(/<(img|script)\b/i);
    expect(htmlReport).toContain(html('agent-<img src=x onerror=window.__pwned=1>'));
    expect(htmlReport).toContain(html('c<script>window.__pwned=2</script>'));
    expect(htmlReport).toContain('&lt;!--');
  });

  test('Markdown keeps pipes, backticks, brackets and HTML from becoming table cells, code, links or tags', () => {
    const rendered = markdown.render(markdownReport);
    expect(rendered).not.toMatch(/<a |<img|<script|<code>|<!--/);
    expect(rendered).toContain(
      'ns|`code`|[link](http://evil.example)/agent-&lt;img src=x onerror=window.__pwned=1&gt;',
    );
    expect(rendered).toContain('Cluster staging|`x`');
    // Every table row keeps the header's number of cells.
    for (const table of rendered.match(/<table>[\s\S]*?<\/table>/g) ?? []) {
      const rows = table.match(/<tr>[\s\S]*?<\/tr>/g) ?? [];
      const cells = rows.map((row) => (row.match(/<t[hd][ >]/g) ?? []).length);
      expect(new Set(cells).size).toBe(1);
    }
  });

  test('the notes on how a cluster was read are in both reports, as text (a stand-in name made of a hostile generateName)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsa-render-notes-'));
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { generateName: 'x<img src=x onerror=window.__pwned=3>-', namespace: 'ci' },
      spec: {
        containers: [{ name: 'c', volumeMounts: [{ name: 's', mountPath: '/var/run/docker.sock' }] }],
        volumes: [{ name: 's', hostPath: { path: '/var/run/docker.sock' } }],
      },
    };
    await writeFile(join(dir, 'pod.json'), JSON.stringify(pod));
    const notes = await scanManifests({ ci: [join(dir, 'pod.json')] }, undefined);
    const note = notes.report.clusters[0]?.notes?.[0] ?? '';
    expect(note).toContain('Pod/ci/x<img src=x onerror=window.__pwned=3>-(generated)');
    const htmlNotes = bodyOf(notes.artifacts, 'report.html');
    expect(htmlNotes).not.toMatch(/<img\b/i);
    expect(htmlNotes).toContain(html(note));
    const rendered = markdown.render(bodyOf(notes.artifacts, 'report.md'));
    expect(rendered).not.toMatch(/<img\b/i);
    expect(rendered).toContain('no metadata.name');
  });

  test.each([
    ['a | b', 'a \\| b'],
    ['`rm -rf /`', '\\`rm -rf /\\`'],
    ['[x](https://evil.example)', '\\[x\\](https\\://evil.example)'],
    ['see www.evil.example', 'see www\\.evil.example'],
    ['![i](x.png)', '\\!\\[i\\](x.png)'],
    ['<b>bold</b>', '&lt;b&gt;bold&lt;/b&gt;'],
    ['@channel', '&#64;channel'],
    ['*em* _em_ ~~del~~', '\\*em\\* \\_em\\_ \\~\\~del\\~\\~'],
    ['- list', '\\- list'],
    ['1. list', '1\\. list'],
    ['# heading', '\\# heading'],
    ['line\nbreak', 'line break'],
    ['dockershim-audit 0.1.0', 'dockershim-audit 0.1.0'],
  ])('escapeMarkdown(%j) = %j', (input, expected) => {
    expect(escapeMarkdown(input)).toBe(expected);
    // Rendered inline, the escaped text reads as the original.
    const text = markdown
      .renderInline(escapeMarkdown(input))
      .replace(/&amp;/g, '&')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"');
    expect(text).toBe(input.replace('\n', ' '));
  });
});

describe('templates', () => {
  test('never use triple-stash or unescaped output', async () => {
    const dir = templatesDir();
    const files = [
      ...(await readdir(dir)).filter((name) => name.endsWith('.hbs')),
      ...(await readdir(join(dir, 'partials'))).map((name) => join('partials', name)),
    ];
    expect(files.length).toBeGreaterThan(5);
    for (const file of files)
      expect(await readFile(join(dir, file), 'utf8'), file).not.toMatch(/\{\{\{|\{\{&/);
  });

  test('load from another folder, as a bundled Lambda sets DOCKERSHIM_AUDIT_TEMPLATES', async () => {
    const bundle = await mkdtemp(join(tmpdir(), 'dsa-templates-'));
    await cp(join(REPO_ROOT, 'templates'), bundle, { recursive: true });
    const page = join(bundle, 'report.html.hbs');
    await writeFile(page, (await readFile(page, 'utf8')).replace('<body>', '<body data-bundle="lambda">'));
    const previous = process.env.DOCKERSHIM_AUDIT_TEMPLATES;
    process.env.DOCKERSHIM_AUDIT_TEMPLATES = bundle;
    try {
      const run = await scanManifests({ prod: [join(FIXTURES_DIR, 'manifests', 'injection')] }, undefined);
      expect(bodyOf(run.artifacts, 'report.html')).toContain('<body data-bundle="lambda">');
      const again = await renderReport(run.report, ['json', 'md']);
      expect(again.map((artifact) => artifact.name)).toEqual(['report.json', 'report.md']);
    } finally {
      if (previous === undefined) delete process.env.DOCKERSHIM_AUDIT_TEMPLATES;
      else process.env.DOCKERSHIM_AUDIT_TEMPLATES = previous;
    }
  });
});
