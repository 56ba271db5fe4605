import { describeError } from '../errors.ts';
import {
  type DocumentStreamReader,
  MAX_NESTING_DEPTH,
  MAX_OBJECT_CHARS,
  megabytes,
  type ReadListener,
} from './document-stream.ts';
import { isListEnvelope } from './object-shape.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const NEWLINE = 0x0a;
const BYTE_ORDER_MARK = 0xfeff;

/** Where the reader stands between tokens of the top two levels (below them, values are captured whole). */
const State = {
  top: 0,
  keyOrEnd: 1,
  key: 2,
  colon: 3,
  value: 4,
  commaOrEndOfObject: 5,
  elementOrEnd: 6,
  element: 7,
  commaOrEndOfArray: 8,
  stopped: 9,
} as const;
type State = (typeof State)[keyof typeof State];

/** What a captured text becomes once it is complete. */
type CaptureRole = 'key' | 'field' | 'element';

interface Capture {
  role: CaptureRole;
  startLine: number;
  /** Text from earlier chunks (empty once the capture overflowed). */
  pieces: string[];
  length: number;
  /** Start of the capture in the current chunk. */
  start: number;
  depth: number;
  inString: boolean;
  escaped: boolean;
  /** A number, true, false or null: it ends before a delimiter or whitespace. */
  scalar: boolean;
  overflow?: string;
}

/**
 * Reads JSON as it arrives, one top-level value after another, and hands out each element of
 * a top-level `items` array (what `kubectl get -o json` prints) or of a top-level array as soon
 * as it is complete: memory follows one object, not the file. Values below the top two levels
 * are only delimited here (strings, brackets, depth) and parsed by `JSON.parse`, which keeps
 * the reading fast and the parsing exact. A broken item is one error with its line; the items
 * around it are still read.
 */
export class JsonStreamReader implements DocumentStreamReader {
  private readonly listener: ReadListener;
  private state: State = State.top;
  private line = 1;
  private document = 0;
  private documentLine = 1;
  private capture: Capture | undefined;
  /** The top-level object's fields read so far (without `items` when they are streamed). */
  private envelope: Record<string, unknown> = {};
  private envelopeChars = 0;
  private key = '';
  private itemsStreamed = false;
  /** The array being streamed: a top-level array, or the top-level object's `items`. */
  private arrayIsTopLevel = false;
  private item = 0;
  delivered = false;

  constructor(listener: ReadListener, firstLine = 1) {
    this.listener = listener;
    this.line = firstLine;
    this.documentLine = firstLine;
  }

  write(chunk: string): void {
    const length = chunk.length;
    let index = 0;
    while (index < length) {
      if (this.state === State.stopped) return;
      const capture = this.capture;
      if (capture && !capture.scalar) {
        index = this.scanContainer(capture, chunk, index);
        continue;
      }
      const code = chunk.charCodeAt(index);
      if (capture) {
        if (!isDelimiter(code)) {
          index++;
          continue;
        }
        // The delimiter that ends a number, true, false or null is structure of its own.
        this.finishCapture(chunk, index);
      }
      this.structure(code, index);
      index++;
    }
    const open = this.capture;
    if (open && !open.overflow) {
      open.pieces.push(chunk.slice(open.start));
      open.length += length - open.start;
      if (open.length > MAX_OBJECT_CHARS) this.overflow(open, `larger than ${megabytes(MAX_OBJECT_CHARS)}`);
    }
    if (open) open.start = 0;
  }

  /**
   * Follows a captured object, array or string to its end (or the chunk's): strings are
   * skipped with indexOf, the rest is looked at one character at a time for brackets.
   * Returns where reading goes on.
   */
  private scanContainer(capture: Capture, chunk: string, from: number): number {
    const length = chunk.length;
    let index = from;
    while (index < length) {
      if (capture.inString) {
        if (capture.escaped) {
          capture.escaped = false;
          index++;
          continue;
        }
        // A run of backslashes never reaches back past where this search starts (a quote, or an escaped character).
        const searchStart = index;
        const quote = chunk.indexOf('"', searchStart);
        if (quote === -1) {
          capture.escaped = backslashesBefore(chunk, length, searchStart) % 2 === 1;
          return length;
        }
        index = quote + 1;
        if (backslashesBefore(chunk, quote, searchStart) % 2 === 1) continue;
        capture.inString = false;
        if (capture.depth === 0) {
          this.finishCapture(chunk, index);
          return index;
        }
        continue;
      }
      const code = chunk.charCodeAt(index++);
      if (code === QUOTE) capture.inString = true;
      else if (code === NEWLINE) this.line++;
      else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
        capture.depth++;
        if (capture.depth > MAX_NESTING_DEPTH && !capture.overflow)
          this.overflow(capture, `nested deeper than ${MAX_NESTING_DEPTH} levels`);
      } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
        capture.depth--;
        if (capture.depth === 0) {
          this.finishCapture(chunk, index);
          return index;
        }
      }
    }
    return length;
  }

  end(): void {
    if (this.capture?.scalar) this.finishCapture('', 0);
    if (this.state === State.top || this.state === State.stopped) return;
    const what = this.capture ? this.describeCapture(this.capture) : `document ${this.document}`;
    this.error(
      `the input ends inside ${what}: the file is truncated`,
      this.capture?.startLine ?? this.documentLine,
    );
    this.state = State.stopped;
  }

  /** One character between values of the top two levels. */
  private structure(code: number, index: number): void {
    if (code === NEWLINE) {
      this.line++;
      return;
    }
    if (isWhitespace(code) || (code === BYTE_ORDER_MARK && this.state === State.top)) return;
    switch (this.state) {
      case State.top:
        this.document++;
        this.documentLine = this.line;
        this.envelope = {};
        this.envelopeChars = 0;
        this.itemsStreamed = false;
        this.item = 0;
        if (code === OPEN_BRACE) this.state = State.keyOrEnd;
        else if (code === OPEN_BRACKET) this.startArray(true);
        else this.unexpected(code, 'a JSON object or array');
        return;
      case State.keyOrEnd:
      case State.key:
        if (code === QUOTE) this.startCapture('key', index, { inString: true });
        else if (code === CLOSE_BRACE && this.state === State.keyOrEnd) this.endObject();
        else this.unexpected(code, 'a property name in double quotes');
        return;
      case State.colon:
        if (code === COLON) this.state = State.value;
        else this.unexpected(code, '":"');
        return;
      case State.value:
        if (this.key === 'items' && code === OPEN_BRACKET) {
          this.itemsStreamed = true;
          this.startArray(false);
        } else this.startValue('field', code, index);
        return;
      case State.commaOrEndOfObject:
        if (code === COMMA) this.state = State.key;
        else if (code === CLOSE_BRACE) this.endObject();
        else this.unexpected(code, '"," or "}"');
        return;
      case State.elementOrEnd:
      case State.element:
        if (code === CLOSE_BRACKET && this.state === State.elementOrEnd) this.endArray();
        else {
          this.item++;
          this.startValue('element', code, index);
        }
        return;
      case State.commaOrEndOfArray:
        if (code === COMMA) this.state = State.element;
        else if (code === CLOSE_BRACKET) this.endArray();
        else this.unexpected(code, '"," or "]"');
        return;
    }
  }

  private startArray(topLevel: boolean): void {
    this.arrayIsTopLevel = topLevel;
    this.state = State.elementOrEnd;
  }

  private endArray(): void {
    if (this.arrayIsTopLevel) this.state = State.top;
    else this.state = State.commaOrEndOfObject;
  }

  private endObject(): void {
    this.state = State.top;
    const envelope = this.envelope;
    this.envelope = {};
    // With its items read one by one, a List's envelope is not an object of its own; any other
    // kind that happens to have top-level `items` is (and its items were audited as well).
    if (this.itemsStreamed && isListEnvelope(envelope)) return;
    this.deliver(envelope, undefined, this.documentLine);
  }

  private startValue(role: CaptureRole, code: number, index: number): void {
    if (code === OPEN_BRACE || code === OPEN_BRACKET) this.startCapture(role, index, { depth: 1 });
    else if (code === QUOTE) this.startCapture(role, index, { inString: true });
    else if (code === CLOSE_BRACE || code === CLOSE_BRACKET || code === COMMA || code === COLON)
      this.unexpected(code, 'a value');
    else this.startCapture(role, index, { scalar: true });
  }

  private startCapture(
    role: CaptureRole,
    index: number,
    shape: { depth?: number; inString?: boolean; scalar?: boolean },
  ): void {
    this.capture = {
      role,
      startLine: this.line,
      pieces: [],
      length: 0,
      start: index,
      depth: shape.depth ?? 0,
      inString: shape.inString ?? false,
      escaped: false,
      scalar: shape.scalar ?? false,
    };
  }

  private overflow(capture: Capture, why: string): void {
    capture.overflow = why;
    capture.pieces = [];
  }

  private finishCapture(chunk: string, end: number): void {
    const capture = this.capture;
    if (!capture) return;
    this.capture = undefined;
    const role = capture.role;
    this.state =
      role === 'key' ? State.colon : role === 'field' ? State.commaOrEndOfObject : State.commaOrEndOfArray;
    if (capture.overflow) {
      this.error(
        `${this.describeCapture(capture)} is ${capture.overflow}; it was skipped`,
        capture.startLine,
      );
      if (role !== 'element') this.state = State.stopped;
      return;
    }
    const text = capture.pieces.join('') + chunk.slice(capture.start, end);
    if (capture.length + end - capture.start > MAX_OBJECT_CHARS) {
      this.error(
        `${this.describeCapture(capture)} is larger than ${megabytes(MAX_OBJECT_CHARS)}; it was skipped`,
        capture.startLine,
      );
      if (role !== 'element') this.state = State.stopped;
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      this.error(jsonMessage(error), lineOfError(error, text, capture.startLine));
      // A broken field leaves the object unreliable; a broken item is one item.
      if (role !== 'element') this.state = State.stopped;
      return;
    }
    if (role === 'key') {
      this.key = typeof value === 'string' ? value : '';
    } else if (role === 'field') {
      this.envelopeChars += text.length;
      if (this.envelopeChars > MAX_OBJECT_CHARS) {
        this.error(
          `document ${this.document} is larger than ${megabytes(MAX_OBJECT_CHARS)} and is not a List whose items can be read one by one; it was skipped`,
          this.documentLine,
        );
        this.state = State.stopped;
        return;
      }
      this.envelope[this.key] = value;
    } else {
      this.deliver(value, this.item, capture.startLine);
    }
  }

  private deliver(value: unknown, item: number | undefined, line: number): void {
    this.delivered = true;
    const position =
      item === undefined ? { document: this.document, line } : { document: this.document, item, line };
    this.listener({ type: 'value', value, position });
  }

  private describeCapture(capture: Capture): string {
    if (capture.role === 'element') return `item ${this.item} of document ${this.document}`;
    if (capture.role === 'field') return `the field "${this.key}" of document ${this.document}`;
    return `a property name in document ${this.document}`;
  }

  private unexpected(code: number, expected: string): void {
    this.error(`invalid JSON: expected ${expected}, found ${describeCharacter(code)}`, this.line);
    // Without its structure the rest of the file cannot be read reliably.
    this.state = State.stopped;
    this.capture = undefined;
  }

  private error(message: string, line: number): void {
    this.listener({ type: 'error', message, line });
  }
}

/** How many backslashes stand right before `end` (not looking before `start`): odd means the next character is escaped. */
function backslashesBefore(chunk: string, end: number, start: number): number {
  let count = 0;
  for (let index = end - 1; index >= start && chunk.charCodeAt(index) === BACKSLASH; index--) count++;
  return count;
}

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0d || code === NEWLINE;
}

function isDelimiter(code: number): boolean {
  return isWhitespace(code) || code === COMMA || code === CLOSE_BRACE || code === CLOSE_BRACKET;
}

function describeCharacter(code: number): string {
  if (code < 0x20 || code === 0x7f) return `the control character U+${code.toString(16).padStart(4, '0')}`;
  return `"${String.fromCharCode(code)}"`;
}

/** JSON.parse's message without its excerpt of the input (which could be anything) and without a position relative to the excerpt. */
function jsonMessage(error: unknown): string {
  const message = describeError(error)
    .replace(/, ".*" is not valid JSON$/s, '')
    .replace(/\s*(in JSON )?at position \d+( \(line \d+ column \d+\))?/, '')
    .trim();
  return `invalid JSON: ${message}`;
}

/** The file line of a JSON.parse error inside a captured value that starts on `startLine`. */
function lineOfError(error: unknown, text: string, startLine: number): number {
  const message = describeError(error);
  const line = /\(line (\d+) column \d+\)/.exec(message);
  if (line) return startLine + Number(line[1]) - 1;
  const position = /at position (\d+)/.exec(message);
  if (!position) return startLine;
  let newlines = 0;
  const end = Math.min(Number(position[1]), text.length);
  for (let index = 0; index < end; index++) if (text.charCodeAt(index) === NEWLINE) newlines++;
  return startLine + newlines;
}
