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

/**
 * Each stretch of `page` from `open` up to and including the next `close`: the elements of one
 * kind (a cluster's section, a workload's article) when they do not nest, so that an assertion
 * looks inside the part of the page it is about.
 */
function slices(page: string, open: string, close: string): string[] {
  const found: string[] = [];
  for (let at = page.indexOf(open); at !== -1; at = page.indexOf(open, at + open.length)) {
    const end = page.indexOf(close, at);
    expect(end, `${open} is closed by ${close}`).toBeGreaterThan(at);
    found.push(page.slice(at, end + close.length));
  }
  return found;
}

/** The HTML report's section of each cluster, by the name in its heading (escaped as on the page). */
function clusterSections(page: string): Map<string, string> {
  return new Map(
    slices(page, '<section class="section cluster"', '</section>').map((section) => [
      section.match(/<h2>Cluster (.*?)<\/h2>/)?.[1] ?? '',
      section,
    ]),
  );
}

/** A cluster's part of the rendered Markdown: from its heading to the next heading of that level. */
function markdownCluster(rendered: string, heading: string): string {
  const start = rendered.indexOf(`<h2>${heading}</h2>`);
  expect(start, heading).toBeGreaterThan(-1);
  const end = rendered.indexOf('<h2>', start + 1);
  return rendered.slice(start, end === -1 ? undefined : end);
}

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

  test("HTML: every affected workload in its cluster's section, with its verdict, rules, evidence, remediation and vendor guidance", () => {
    const sections = clusterSections(htmlReport);
    expect([...sections.keys()]).toEqual(report.clusters.map((cluster) => html(cluster.name)));
    let checked = 0;
    for (const cluster of report.clusters) {
      const articles = new Map(
        slices(sections.get(html(cluster.name)) ?? '', '<article class="workload', '</article>').map(
          (article) => [article.match(/<h4>(.*?)<\/h4>/)?.[1] ?? '', article],
        ),
      );
      for (const workload of cluster.workloads.filter((entry) => entry.verdict !== 'info')) {
        const label = `${cluster.name}: ${resourceLabel(workload.resource)}`;
        const article = articles.get(html(resourceLabel(workload.resource)));
        expect(article, label).toBeDefined();
        expect(article, label).toContain(
          `<span class="sev sev-${workload.verdict}">${workload.verdict}</span>`,
        );
        const findings = cluster.findings.filter(
          (finding) => workload.findings.includes(finding.id) && finding.severity !== 'info',
        );
        expect(findings, label).not.toEqual([]);
        for (const finding of findings) {
          expect(article, label).toContain(`<span class="rule">${finding.rule}</span>`);
          if (finding.evidence.hostPath)
            expect(article, label).toContain(`<code>${html(finding.evidence.hostPath)}</code>`);
          expect(article, label).toContain(html(finding.remediation));
          if (finding.agent) expect(article, label).toContain(html(finding.agent.guidance));
        }
        checked++;
      }
    }
    expect(checked).toBe(affected.length);
    expect(htmlReport).toContain('<meta http-equiv="Content-Security-Policy" content="default-src \'none\';');
    expect(htmlReport).not.toMatch(/<script|<link |<img |src="http|url\(/i);
  });

  test("Markdown: a summary table and one line per affected workload in its cluster's part, under its verdict, all parsing as GFM", () => {
    const rendered = markdown.render(markdownReport);
    expect(rendered).toMatch(/<th>Severity<\/th>/);
    for (const cluster of report.clusters) {
      const part = markdownCluster(rendered, `Cluster ${html(cluster.name)} (${cluster.status})`);
      // Each verdict group is a bold heading ("High: breaks when ...") and a list of lines.
      const groups = [...part.matchAll(/<p><strong>(\w+):[^<]*<\/strong><\/p>\s*<ul>([\s\S]*?)<\/ul>/g)];
      for (const workload of cluster.workloads.filter((entry) => entry.verdict !== 'info')) {
        const label = `${cluster.name}: ${resourceLabel(workload.resource)}`;
        const lines = groups.flatMap(([, verdict, list]) =>
          (list?.match(/<li>[\s\S]*?<\/li>/g) ?? [])
            .filter((line) =>
              line.startsWith(`<li><strong>${html(resourceLabel(workload.resource))}</strong>`),
            )
            .map((line) => ({ verdict: verdict?.toLowerCase(), line })),
        );
        expect(
          lines.map((entry) => entry.verdict),
          label,
        ).toEqual([workload.verdict]);
        for (const finding of cluster.findings.filter(
          (entry) => workload.findings.includes(entry.id) && entry.severity !== 'info',
        ))
          expect(lines[0]?.line, label).toContain(finding.rule);
      }
    }
    expect(rendered).not.toMatch(/<a |<img|<script|<code>/);
    expect(markdownReport.length).toBeLessThan(htmlReport.length / 4);
  });

  test('the footer carries the SHA-256 of report.json and diff.json', async () => {
    const { sha256Hex } = await import('../../lambda/sha256.ts');
    const [footer] = slices(htmlReport, '<footer class="footer">', '</footer>');
    const markdownFooter = markdownReport.slice(markdownReport.lastIndexOf('\n---\n'));
    expect(markdownFooter).toMatch(/^\n---\nEvidence: /);
    for (const name of ['report.json', 'diff.json']) {
      const digest = sha256Hex(bodyOf(run.artifacts, name));
      expect(footer).toContain(`<dt>${name}</dt><dd class="mono">sha256:${digest}</dd>`);
      expect(markdownFooter).toContain(`${name} sha256:${digest}`);
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
    // The hostile strings are shown, escaped, where they belong: in their workload's article.
    const articles = new Map(
      slices(
        clusterSections(htmlReport).get(html('staging|`x`')) ?? '',
        '<article class="workload',
        '</article>',
      ).map((article) => [article.match(/<h4>(.*?)<\/h4>/)?.[1] ?? '', article]),
    );
    const agent = html(
      'DaemonSet ns|`code`|[link](http://evil.example)/agent-<img src=x onerror=window.__pwned=1>',
    );
    const config = html('ConfigMap monitoring/agent-config');
    expect([...articles.keys()].sort()).toEqual([config, agent].sort());
    expect(articles.get(agent)).toContain(`<code>${html('c<script>window.__pwned=2</script>')}</code>`);
    expect(articles.get(agent)).toContain(
      `<code>${html('X<img src=x onerror=window.__pwned=3>=unix:///var/run/docker.sock')}</code>`,
    );
    expect(articles.get(config)).toContain(
      html('<img src=x onerror=window.__pwned=4> @channel [click](javascript:alert(5))'),
    );
    expect(articles.get(config)).toContain('&lt;!--');
  });

  test('Markdown keeps pipes, backticks, brackets and HTML from becoming table cells, code, links or tags', () => {
    const rendered = markdown.render(markdownReport);
    expect(rendered).not.toMatch(/<a |<img|<script|<code>|<!--/);
    const part = markdownCluster(rendered, 'Cluster staging|`x` (complete)');
    expect(part).toContain(
      '<li><strong>DaemonSet ns|`code`|[link](http://evil.example)/agent-&lt;img src=x onerror=window.__pwned=1&gt;</strong>',
    );
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
    const [howRead] = slices(clusterSections(htmlNotes).get('ci') ?? '', '<h3>How it was read</h3>', '</ul>');
    expect(howRead).toContain(`<li>${html(note)}</li>`);
    const rendered = markdown.render(bodyOf(notes.artifacts, 'report.md'));
    expect(rendered).not.toMatch(/<img\b/i);
    const part = markdownCluster(rendered, 'Cluster ci (complete)');
    expect(part).toMatch(
      /<li>Note: [^<]*no metadata\.name[^<]*Pod\/ci\/x&lt;img src=x onerror=window.__pwned=3&gt;-\(generated\)/,
    );
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
