import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Handlebars from 'handlebars';
import { REPORT_FORMATS, type ReportFormat } from '../defaults.ts';
import { sha256Hex } from '../sha256.ts';
import { escapeMarkdown, escapeStrings } from './escape.ts';
import type { DiffDocument, ManifestLink, Report } from './model.ts';
import type { ProgressHistory } from './progress.ts';
import { buildReportView, type ViewInput } from './view-model.ts';

const DIFF_ARTIFACT = 'diff.json';

export interface Artifact {
  name: string;
  contentType: string;
  body: string;
}

const CONTENT_TYPES: Record<ReportFormat, string> = {
  json: 'application/json; charset=utf-8',
  html: 'text/html; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
};

/**
 * Where the Handlebars templates are: `DOCKERSHIM_AUDIT_TEMPLATES` when set (your own templates),
 * else `templates/` beside the running module, which is where the Lambda bundle (one file,
 * `index.mjs`) has them, else the repository's `templates/` (this file is two folders down).
 */
export function templatesDir(): string {
  const chosen = process.env.DOCKERSHIM_AUDIT_TEMPLATES;
  if (chosen) return chosen;
  const candidates = [new URL('./templates/', import.meta.url), new URL('../../templates/', import.meta.url)];
  const found = candidates.find((candidate) => existsSync(new URL('report.html.hbs', candidate)));
  // None found: the repository's, so that the error names the folder a developer expects.
  return fileURLToPath(found ?? (candidates[1] as URL));
}

interface CompiledTemplates {
  html: Handlebars.TemplateDelegate;
  md: Handlebars.TemplateDelegate;
}

const compiled = new Map<string, Promise<CompiledTemplates>>();

/** Compiles the templates of a folder once per process. */
function templatesIn(dir: string): Promise<CompiledTemplates> {
  let entry = compiled.get(dir);
  if (!entry) {
    entry = compileTemplates(dir);
    compiled.set(dir, entry);
    entry.catch(() => compiled.delete(dir));
  }
  return entry;
}

async function compileTemplates(dir: string): Promise<CompiledTemplates> {
  // Loaded here, on the first HTML or Markdown report: a JSON-only scan does without its
  // 14 MB and 80 ms (docs/performance.md).
  const { default: library } = await import('handlebars');
  const handlebars = library.create();
  registerHelpers(handlebars);
  const partialsDir = join(dir, 'partials');
  for (const file of (await readdir(partialsDir)).filter((name) => name.endsWith('.hbs')).sort()) {
    handlebars.registerPartial(basename(file, '.hbs'), await readFile(join(partialsDir, file), 'utf8'));
  }
  // preventIndent: an indented partial would otherwise indent every line of a <pre> block inside it.
  const options = { strict: true, knownHelpersOnly: false, preventIndent: true };
  return {
    html: handlebars.compile(await readFile(join(dir, 'report.html.hbs'), 'utf8'), options),
    // Markdown gets data escaped for Markdown beforehand, so Handlebars' HTML escaping is off.
    md: handlebars.compile(await readFile(join(dir, 'report.md.hbs'), 'utf8'), {
      ...options,
      noEscape: true,
    }),
  };
}

// Helpers compare and join; anything computed belongs in view-model.ts.
function registerHelpers(handlebars: typeof Handlebars): void {
  handlebars.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  handlebars.registerHelper(
    'gt',
    (a: unknown, b: unknown) => typeof a === 'number' && typeof b === 'number' && a > b,
  );
  handlebars.registerHelper('join', (list: unknown, separator: unknown) =>
    Array.isArray(list) ? list.join(typeof separator === 'string' ? separator : ', ') : '',
  );
}

export interface RenderOptions {
  /** What changed since the previous run: written as diff.json and shown in both reports. */
  diff?: DiffDocument;
  /** The previous run's manifest, named in the reports' evidence footer. */
  previousManifest?: ManifestLink;
  /** The last runs' numbers, for the progress chart. */
  progress?: ProgressHistory;
  /** Templates folder; by default `templatesDir()`. */
  dir?: string;
}

/**
 * Renders the run's artifacts: report.json (always first), diff.json when there is a diff,
 * then the HTML and Markdown reports, whose footer carries the SHA-256 of the JSON artifacts.
 */
export async function renderReport(
  report: Report,
  formats: readonly ReportFormat[] = REPORT_FORMATS,
  options: RenderOptions = {},
): Promise<Artifact[]> {
  const artifacts: Artifact[] = [
    { name: 'report.json', contentType: CONTENT_TYPES.json, body: `${JSON.stringify(report, null, 2)}\n` },
  ];
  if (options.diff)
    artifacts.push({
      name: DIFF_ARTIFACT,
      contentType: CONTENT_TYPES.json,
      body: `${JSON.stringify(options.diff, null, 2)}\n`,
    });
  const documents = formats.filter((format) => format !== 'json');
  if (documents.length === 0) return artifacts;
  const templates = await templatesIn(options.dir ?? templatesDir());
  const input: ViewInput = {
    artifactHashes: artifacts.map((artifact) => ({ name: artifact.name, sha256: sha256Hex(artifact.body) })),
    ...(options.diff && { diff: options.diff }),
    ...(options.previousManifest && { previousManifest: options.previousManifest }),
    ...(options.progress && { progress: options.progress }),
  };
  const view = buildReportView(report, input);
  for (const format of documents) {
    const body = format === 'html' ? templates.html(view) : templates.md(escapeStrings(view, escapeMarkdown));
    artifacts.push({ name: `report.${format}`, contentType: CONTENT_TYPES[format], body });
  }
  return artifacts;
}
