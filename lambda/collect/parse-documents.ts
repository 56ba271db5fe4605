import type { DocumentPosition, DocumentStreamReader, ReadEvent, ReadListener } from './document-stream.ts';
import { JsonStreamReader } from './json-stream.ts';
import { type YamlStreamOptions, YamlStreamReader } from './yaml-stream.ts';

export interface ParsedFile {
  documents: unknown[];
  positions: DocumentPosition[];
  errors: Array<{ message: string; line: number }>;
}

export interface DocumentReaderOptions extends YamlStreamOptions {
  /** The file is named `*.json`: it is JSON, with no second try as YAML. */
  json?: boolean;
}

/**
 * Reads a manifest or snapshot file as it arrives, in chunks: JSON when it looks like JSON
 * (the usual `kubectl -o json` output), otherwise multi-document YAML. Which one is decided by
 * the first character that is not whitespace. Text that starts like JSON but is not (YAML flow
 * style, `{kind: Pod}`) is read again as YAML, as long as nothing was handed out yet.
 */
export class DocumentReader {
  private readonly listener: ReadListener;
  private readonly options: DocumentReaderOptions;
  private reader: DocumentStreamReader | undefined;
  /** Whitespace before the first character: only its line count and its last line's indentation matter. */
  private leadingNewlines = 0;
  private leadingTail = '';
  /** While JSON is a guess (until its first value): the text read so far and what the JSON reader said. */
  private guess: { text: string[]; held: ReadEvent[] } | undefined;

  constructor(listener: ReadListener, options: DocumentReaderOptions = {}) {
    this.listener = listener;
    this.options = options;
  }

  write(chunk: string): void {
    if (this.reader) {
      this.feed(chunk);
      return;
    }
    const first = chunk.search(/\S/);
    if (first === -1) {
      this.skipLeadingWhitespace(chunk);
      return;
    }
    this.reader = this.choose(chunk.charAt(first));
    const text = this.leadingTail + chunk;
    this.leadingTail = '';
    this.feed(text);
  }

  end(): void {
    if (!this.reader) return;
    this.reader.end();
    this.settle(true);
  }

  private skipLeadingWhitespace(chunk: string): void {
    const lastNewline = chunk.lastIndexOf('\n');
    if (lastNewline === -1) {
      // Indentation longer than this is not YAML anyone writes; it need not be kept whole.
      this.leadingTail = (this.leadingTail + chunk).slice(0, 1024);
      return;
    }
    for (let index = 0; index <= lastNewline; index++)
      if (chunk.charCodeAt(index) === 0x0a) this.leadingNewlines++;
    this.leadingTail = chunk.slice(lastNewline + 1, lastNewline + 1 + 1024);
  }

  private choose(first: string): DocumentStreamReader {
    const firstLine = this.leadingNewlines + 1;
    if (this.options.json) return new JsonStreamReader(this.listener, firstLine);
    if (first === '{' || first === '[') {
      this.guess = { text: [], held: [] };
      return new JsonStreamReader((event) => this.fromGuessedJson(event), firstLine);
    }
    return new YamlStreamReader(this.listener, { ...this.options, firstLine });
  }

  private feed(chunk: string): void {
    this.guess?.text.push(chunk);
    this.reader?.write(chunk);
    this.settle(false);
  }

  private fromGuessedJson(event: ReadEvent): void {
    if (this.guess) this.guess.held.push(event);
    else this.listener(event);
  }

  /** Ends the guess: JSON once it has handed out a value, YAML from the start if it failed first. */
  private settle(ended: boolean): void {
    const guess = this.guess;
    if (!guess || !this.reader) return;
    if (guess.held[0]?.type === 'error') {
      this.guess = undefined;
      const yaml = new YamlStreamReader(this.listener, {
        ...this.options,
        firstLine: this.leadingNewlines + 1,
      });
      this.reader = yaml;
      for (const text of guess.text) yaml.write(text);
      if (ended) yaml.end();
      return;
    }
    if (this.reader.delivered || ended) {
      this.guess = undefined;
      for (const event of guess.held) this.listener(event);
    }
  }
}

/** The documents of a whole text, as `DocumentReader` reads them (tests, the corpus tools). */
export function parseDocuments(text: string, fileName: string, options: YamlStreamOptions = {}): ParsedFile {
  const result: ParsedFile = { documents: [], positions: [], errors: [] };
  const reader = new DocumentReader(
    (event) => {
      if (event.type === 'error') result.errors.push({ message: event.message, line: event.line });
      else {
        result.documents.push(event.value);
        result.positions.push(event.position);
      }
    },
    { ...options, json: fileName.endsWith('.json') },
  );
  reader.write(text);
  reader.end();
  return result;
}
