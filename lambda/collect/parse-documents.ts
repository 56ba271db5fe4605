import { LineCounter, parseAllDocuments } from 'yaml';
import { describeError } from '../errors.ts';

export interface ParsedFile {
  documents: unknown[];
  errors: Array<{ message: string; line?: number }>;
}

/**
 * Parses the text of a manifest or snapshot file: JSON when it looks like JSON (fast, and the
 * usual `kubectl -o json` output), otherwise multi-document YAML. A document that cannot be
 * parsed is reported with its line; the other documents of the file are still returned.
 */
export function parseDocuments(text: string, fileName: string): ParsedFile {
  const trimmed = text.trimStart();
  if (fileName.endsWith('.json') || trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      return { documents: Array.isArray(parsed) ? parsed : [parsed], errors: [] };
    } catch (error) {
      if (fileName.endsWith('.json')) return { documents: [], errors: [jsonError(text, error)] };
      // Not JSON after all (YAML flow style): fall through to the YAML parser.
    }
  }
  return parseYamlDocuments(text);
}

function parseYamlDocuments(text: string): ParsedFile {
  const lineCounter = new LineCounter();
  // Strings are never templates: Argo's "{{inputs.parameters.x}}" is just text to the audit.
  const documents = parseAllDocuments(text, { lineCounter, uniqueKeys: false, logLevel: 'silent' });
  const result: ParsedFile = { documents: [], errors: [] };
  for (const document of Array.isArray(documents) ? documents : [documents]) {
    if (document.errors.length > 0) {
      const first = document.errors[0];
      const line = first?.linePos?.[0]?.line ?? (first ? lineCounter.linePos(first.pos[0]).line : undefined);
      const message = ((first?.message ?? 'invalid YAML').split('\n')[0] ?? 'invalid YAML').replace(
        /:\s*$/,
        '',
      );
      result.errors.push(line === undefined ? { message } : { message, line });
      continue;
    }
    const value: unknown = document.toJS({ maxAliasCount: 1000 });
    if (value !== null && value !== undefined) result.documents.push(value);
  }
  return result;
}

function jsonError(text: string, error: unknown): { message: string; line?: number } {
  const message = describeError(error);
  const lineInMessage = /line (\d+)/.exec(message);
  if (lineInMessage) return { message, line: Number(lineInMessage[1]) };
  const position = /position (\d+)/.exec(message);
  if (!position) return { message };
  const line = text.slice(0, Number(position[1])).split('\n').length;
  return { message, line };
}
