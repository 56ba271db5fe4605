import { isRecord } from '../kube/objects.ts';
import {
  type DocumentStreamReader,
  MAX_OBJECT_CHARS,
  MEBIBYTE,
  megabytes,
  type ReadListener,
} from './document-stream.ts';
import { isListEnvelope } from './object-shape.ts';
import { parseYaml } from './yaml-parse.ts';

/**
 * Documents up to this size are parsed whole, with every YAML feature (an anchor in one item
 * used in another). A larger document that is a List (`kubectl get -o yaml`, one document of
 * hundreds of MB) is read item by item instead.
 */
export const WHOLE_DOCUMENT_CHARS = MEBIBYTE;

/** `items:` as a top-level key whose value starts on the next line. */
const ITEMS_KEY = /^(?:items|"items"|'items')[ \t]*:(?:[ \t]+#.*)?[ \t\r]*$/;
/** A line that stands for a line longer than MAX_OBJECT_CHARS (its text was not kept). */
const OVERLONG = null;
type Line = string | typeof OVERLONG;

export interface YamlStreamOptions {
  /** Documents above this many characters are read item by item (default WHOLE_DOCUMENT_CHARS). */
  wholeDocumentChars?: number;
  /** The number of the first line written (when leading blank lines were dropped). */
  firstLine?: number;
}

interface DocumentState {
  index: number;
  startLine: number;
  lines: Line[];
  chars: number;
  hasContent: boolean;
  mode: 'whole' | 'items' | 'skip';
}

/** A List document read item by item: its envelope (everything but `items`) and the item being read. */
interface ItemsState {
  phase: 'envelope' | 'sequence-start' | 'sequence';
  envelope: Line[];
  envelopeChars: number;
  indent: number;
  item: Line[];
  itemChars: number;
  itemLine: number;
  itemIndex: number;
}

/**
 * Reads multi-document YAML as it arrives. Documents are split on their `---` and `...` marker
 * lines (which YAML reserves at column 0), so one broken document is one error and the others
 * are still read. Each document is parsed on its own under a depth limit, and checked for
 * alias expansion before anyone walks it (see parseYaml). A document larger than
 * `wholeDocumentChars` whose top level is a mapping with an `items:` block sequence is read item
 * by item, each item parsed as soon as the next one starts: memory follows an item, not the file.
 */
export class YamlStreamReader implements DocumentStreamReader {
  private readonly listener: ReadListener;
  private readonly wholeDocumentChars: number;
  private carry = '';
  private carryOverflow = false;
  private line: number;
  private documents = 0;
  private document: DocumentState;
  private items: ItemsState | undefined;
  private started = false;
  delivered = false;

  constructor(listener: ReadListener, options: YamlStreamOptions = {}) {
    this.listener = listener;
    this.wholeDocumentChars = options.wholeDocumentChars ?? WHOLE_DOCUMENT_CHARS;
    this.line = options.firstLine ?? 1;
    this.document = this.newDocument(this.line);
  }

  write(chunk: string): void {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      if (newline === -1) break;
      const piece = text.slice(start, newline);
      if (this.carryOverflow) this.onLine(OVERLONG);
      else if (this.carry.length + piece.length > MAX_OBJECT_CHARS) this.onLine(OVERLONG);
      else this.onLine(this.carry.length > 0 ? this.carry + piece : piece);
      this.carry = '';
      this.carryOverflow = false;
      start = newline + 1;
    }
    if (start < text.length && !this.carryOverflow) {
      // A line that never ends is not kept past the limit: its text would not fit any object.
      if (this.carry.length + text.length - start > MAX_OBJECT_CHARS) {
        this.carry = '';
        this.carryOverflow = true;
      } else this.carry += text.slice(start);
    }
  }

  end(): void {
    if (this.carryOverflow) this.onLine(OVERLONG);
    else if (this.carry.length > 0) this.onLine(this.carry);
    this.carry = '';
    this.carryOverflow = false;
    this.finishDocument();
  }

  private newDocument(startLine: number): DocumentState {
    return { index: 0, startLine, lines: [], chars: 0, hasContent: false, mode: 'whole' };
  }

  private onLine(text: Line): void {
    const lineNumber = this.line++;
    if (text !== OVERLONG && isMarker(text, '---')) {
      // Directives and comments before `---` belong to the document it starts.
      if (this.document.hasContent) {
        this.finishDocument();
        this.document = this.newDocument(lineNumber);
      }
      this.append(text, lineNumber, hasContentAfterMarker(text));
      return;
    }
    if (text !== OVERLONG && isMarker(text, '...')) {
      this.append(text, lineNumber, false);
      this.finishDocument();
      this.document = this.newDocument(lineNumber + 1);
      return;
    }
    // Only the first content line matters: later lines need not be looked at (the hot path).
    this.append(text, lineNumber, !this.document.hasContent && (text === OVERLONG || isContent(text)));
  }

  private append(text: Line, lineNumber: number, content: boolean): void {
    const document = this.document;
    if (content && !document.hasContent) {
      document.hasContent = true;
      document.index = ++this.documents;
    }
    if (document.mode === 'skip') return;
    if (document.mode === 'items') {
      this.itemLine(text, lineNumber);
      return;
    }
    document.lines.push(text);
    document.chars += text === OVERLONG ? MAX_OBJECT_CHARS + 1 : text.length + 1;
    if (document.chars > this.wholeDocumentChars) this.switchToItems();
  }

  /** The document is too large to parse whole: from here on it is read as a List, item by item. */
  private switchToItems(): void {
    const document = this.document;
    document.mode = 'items';
    this.items = {
      phase: 'envelope',
      envelope: [],
      envelopeChars: 0,
      indent: 0,
      item: [],
      itemChars: 0,
      itemLine: 0,
      itemIndex: 0,
    };
    const lines = document.lines;
    document.lines = [];
    lines.forEach((text, offset) => {
      if (document.mode === 'items') this.itemLine(text, document.startLine + offset);
    });
  }

  private itemLine(text: Line, lineNumber: number): void {
    const items = this.items;
    if (!items) return;
    if (items.phase === 'envelope') {
      if (text !== OVERLONG && ITEMS_KEY.test(text)) items.phase = 'sequence-start';
      else this.addToEnvelope(items, text);
      return;
    }
    const indent = text === OVERLONG ? -1 : indentOf(text);
    if (text !== OVERLONG && isBlankOrComment(text, indent)) {
      if (items.phase === 'sequence') this.addToItem(items, text);
      return;
    }
    if (items.phase === 'sequence-start') {
      if (text !== OVERLONG && isSequenceEntry(text, indent)) {
        items.phase = 'sequence';
        items.indent = indent;
        this.startItem(items, text, lineNumber);
        return;
      }
      // `items:` with nothing under it (null), then the next top-level key.
      items.phase = 'envelope';
      this.addToEnvelope(items, 'items:');
      this.addToEnvelope(items, text);
      return;
    }
    if (text === OVERLONG || indent > items.indent) {
      this.addToItem(items, text);
      return;
    }
    if (indent === items.indent && isSequenceEntry(text, indent)) {
      this.finishItem(items);
      this.startItem(items, text, lineNumber);
      return;
    }
    // Back at the top level: the sequence is over, the envelope goes on.
    this.finishItem(items);
    items.phase = 'envelope';
    this.addToEnvelope(items, text);
  }

  private startItem(items: ItemsState, text: string, lineNumber: number): void {
    items.itemIndex++;
    items.itemLine = lineNumber;
    // `- apiVersion: v1` becomes `  apiVersion: v1`: the item, at the indentation it had.
    const first = `${' '.repeat(items.indent + 1)}${text.slice(items.indent + 1)}`;
    items.item = [first];
    items.itemChars = first.length + 1;
  }

  private addToItem(items: ItemsState, text: Line): void {
    if (items.itemChars > MAX_OBJECT_CHARS) return;
    items.itemChars += text === OVERLONG ? MAX_OBJECT_CHARS + 1 : text.length + 1;
    if (items.itemChars > MAX_OBJECT_CHARS) items.item = [];
    else items.item.push(text);
  }

  private finishItem(items: ItemsState): void {
    if (items.itemIndex === 0 || (items.item.length === 0 && items.itemChars === 0)) return;
    const where = `item ${items.itemIndex} of document ${this.document.index}`;
    if (items.itemChars > MAX_OBJECT_CHARS) {
      this.error(`${where} is larger than ${megabytes(MAX_OBJECT_CHARS)}; it was skipped`, items.itemLine);
    } else {
      const text = items.item.join('\n');
      this.parse(text, items.itemLine, where, (value) =>
        this.deliver(value, { document: this.document.index, item: items.itemIndex, line: items.itemLine }),
      );
    }
    items.item = [];
    items.itemChars = 0;
  }

  private addToEnvelope(items: ItemsState, text: Line): void {
    items.envelopeChars += text === OVERLONG ? MAX_OBJECT_CHARS + 1 : text.length + 1;
    if (items.envelopeChars <= MAX_OBJECT_CHARS) {
      items.envelope.push(text);
      return;
    }
    const document = this.document;
    this.error(
      `document ${document.index} is larger than ${megabytes(MAX_OBJECT_CHARS)} and is not a List whose items can be read one by one; the rest of it was skipped`,
      document.startLine,
    );
    document.mode = 'skip';
    this.items = undefined;
  }

  private finishDocument(): void {
    const document = this.document;
    const items = this.items;
    this.items = undefined;
    if (!document.hasContent || document.mode === 'skip') return;
    const where = `document ${document.index}`;
    if (document.mode === 'whole') {
      this.parse(document.lines.join('\n'), document.startLine, where, (value) =>
        this.deliver(value, { document: document.index, line: document.startLine }),
      );
      document.lines = [];
      return;
    }
    if (!items) return;
    if (items.phase === 'sequence') this.finishItem(items);
    // The envelope (apiVersion, kind, metadata) stands for an object only when it is not a List's.
    this.parse(items.envelope.join('\n'), document.startLine, where, (value) => {
      if (isRecord(value) && !isListEnvelope(value))
        this.deliver(value, { document: document.index, line: document.startLine });
    });
  }

  /** Parses one document or item; errors name the file line, never the whole run. */
  private parse(text: string, startLine: number, where: string, onValue: (value: unknown) => void): void {
    const parsed = parseYaml(text);
    if ('error' in parsed) {
      this.error(`invalid YAML in ${where}: ${parsed.error}`, startLine + parsed.line);
      return;
    }
    for (const value of parsed.values) if (value !== null && value !== undefined) onValue(value);
  }

  private deliver(value: unknown, position: { document: number; item?: number; line: number }): void {
    this.delivered = true;
    this.listener({ type: 'value', value, position });
  }

  private error(message: string, line: number): void {
    this.listener({ type: 'error', message, line });
  }
}

/** `---` or `...` at column 0, alone or followed by a space or tab (YAML reserves them there). */
function isMarker(text: string, marker: '---' | '...'): boolean {
  if (!text.startsWith(marker)) return false;
  const next = text.charCodeAt(3);
  return text.length === 3 || next === 0x20 || next === 0x09 || next === 0x0d;
}

function hasContentAfterMarker(text: string): boolean {
  const rest = text.slice(3).trim();
  return rest.length > 0 && !rest.startsWith('#');
}

/** Not blank, a comment or a directive: a line that makes a document exist. */
function isContent(text: string): boolean {
  const trimmed = text.trim();
  return trimmed.length > 0 && !trimmed.startsWith('#') && !text.startsWith('%');
}

/** Given the line's indentation, so that the hot path allocates nothing. */
function isBlankOrComment(text: string, indent: number): boolean {
  if (indent >= text.length) return true;
  const first = text.charCodeAt(indent);
  if (first === 0x23) return true;
  if (first !== 0x09 && first !== 0x0d) return false;
  const trimmed = text.trim();
  return trimmed.length === 0 || trimmed.startsWith('#');
}

function indentOf(text: string): number {
  let indent = 0;
  while (text.charCodeAt(indent) === 0x20) indent++;
  return indent;
}

/** `- ...` at this indentation: an entry of a block sequence. */
function isSequenceEntry(text: string, indent: number): boolean {
  if (text.charCodeAt(indent) !== 0x2d) return false;
  const next = text.charCodeAt(indent + 1);
  return text.length === indent + 1 || next === 0x20 || next === 0x09 || next === 0x0d;
}
