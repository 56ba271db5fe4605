import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { escapeMarkdown, escapeStrings } from './escape.ts';
import type { Report } from './model.ts';
import { buildReportView } from './view-model.ts';

export const ReportFormat = { json: 'json', html: 'html', md: 'md' } as const;
export type ReportFormat = (typeof ReportFormat)[keyof typeof ReportFormat];
export const REPORT_FORMATS: readonly ReportFormat[] = ['json', 'html', 'md'];

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
 * Where the Handlebars templates are: `DOCKERSHIM_AUDIT_TEMPLATES` (set by the Lambda bundle),
 * else the repository's `templates/` folder.
 */
export function templatesDir(): string {
  return (
    process.env.DOCKERSHIM_AUDIT_TEMPLATES ?? fileURLToPath(new URL('../../templates/', import.meta.url))
  );
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
  const handlebars = Handlebars.create();
  registerHelpers(handlebars);
  const partialsDir = join(dir, 'partials');
  for (const file of (await readdir(partialsDir)).filter((name) => name.endsWith('.hbs')).sort()) {
    handlebars.registerPartial(basename(file, '.hbs'), await readFile(join(partialsDir, file), 'utf8'));
  }
  const options = { strict: true, knownHelpersOnly: false };
  return {
    html: handlebars.compile(await readFile(join(dir, 'report.html.hbs'), 'utf8'), options),
    // Markdown gets data escaped for Markdown beforehand, so Handlebars' HTML escaping is off.
    md: handlebars.compile(await readFile(join(dir, 'report.md.hbs'), 'utf8'), {
      ...options,
      noEscape: true,
    }),
  };
}

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

export async function renderReport(
  report: Report,
  formats: readonly ReportFormat[] = REPORT_FORMATS,
  dir: string = templatesDir(),
): Promise<Artifact[]> {
  const artifacts: Artifact[] = [];
  const templates = formats.some((format) => format !== 'json') ? await templatesIn(dir) : undefined;
  for (const format of formats) {
    let body: string;
    if (format === 'json') body = `${JSON.stringify(report, null, 2)}\n`;
    else if (format === 'html') body = (templates as CompiledTemplates).html(buildReportView(report));
    else body = (templates as CompiledTemplates).md(escapeStrings(buildReportView(report), escapeMarkdown));
    artifacts.push({ name: `report.${format}`, contentType: CONTENT_TYPES[format], body });
  }
  return artifacts;
}
