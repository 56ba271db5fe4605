import { describe, expect, test } from 'vitest';
import { MAX_OBJECT_CHARS, type ReadEvent } from '../../lambda/collect/document-stream.ts';
import { forEachObject } from '../../lambda/collect/object-shape.ts';
import { parseDocuments } from '../../lambda/collect/parse-documents.ts';
import { YamlStreamReader } from '../../lambda/collect/yaml-stream.ts';

function read(pieces: readonly string[], wholeDocumentChars?: number): ReadEvent[] {
  const events: ReadEvent[] = [];
  const reader = new YamlStreamReader(
    (event) => events.push(event),
    wholeDocumentChars === undefined ? {} : { wholeDocumentChars },
  );
  for (const piece of pieces) reader.write(piece);
  reader.end();
  return events;
}

const values = (events: ReadEvent[]) =>
  events.flatMap((event) => (event.type === 'value' ? [event.value] : []));
const errors = (events: ReadEvent[]) =>
  events.flatMap((event) => (event.type === 'error' ? [{ line: event.line, message: event.message }] : []));

/** Each object with its place, as the audit would name an unnamed one. */
function placed(events: ReadEvent[]): string[] {
  const out: string[] = [];
  for (const event of events) {
    if (event.type !== 'value') continue;
    const start = event.position.item === undefined ? [] : [event.position.item];
    forEachObject(event.value, start, (object, items) => {
      out.push(`${object.kind} ${event.position.document}/${items.join('.')}`);
    });
  }
  return out;
}

/** What `kubectl get -o yaml` prints: one List document, `- ` at column 0. */
const KUBECTL_LIST = `apiVersion: v1
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: a
  # a comment inside an item
- kind: Pod
  metadata: {name: b}
  data: |
    x
    - not an item
    items:

-   kind: List
    items:
    - {kind: Node, metadata: {name: n}}
kind: List
metadata:
  resourceVersion: ""
`;

describe('the YAML reader: documents on their own, a large List item by item', () => {
  test('documents split on --- and ...; a broken one is one error at its file line, the others are read', () => {
    const text =
      'kind: A\n---\nkind: D\nmetadata:\n  name: {{ .Release.Name }}-agent\n  labels: [x\n---\n# c\n...\n%YAML 1.2\n---\nkind: B\n';
    const events = read([text]);
    expect(values(events)).toEqual([{ kind: 'A' }, { kind: 'B' }]);
    expect(errors(events)).toEqual([
      { line: 5, message: expect.stringMatching(/^invalid YAML in document 2: /) },
    ]);
  });

  test('a List read item by item gives the same objects, in the same places, as read whole', () => {
    const whole = read([KUBECTL_LIST]);
    const itemByItem = read([KUBECTL_LIST], 0);
    expect(errors(itemByItem)).toEqual([]);
    expect(placed(itemByItem)).toEqual(placed(whole));
    expect(placed(whole)).toEqual(['Pod 1/1', 'Pod 1/2', 'Node 1/3.1']);
    expect(values(itemByItem)[1]).toEqual({
      kind: 'Pod',
      metadata: { name: 'b' },
      data: 'x\n- not an item\nitems:\n',
    });
    expect(itemByItem.map((event) => event.type === 'value' && event.position.line)).toEqual([3, 8, 15]);
  });

  test('item by item, whatever the chunks: cut at every position', () => {
    const expected = read([KUBECTL_LIST], 0);
    for (let cut = 1; cut < KUBECTL_LIST.length; cut++)
      expect(read([KUBECTL_LIST.slice(0, cut), KUBECTL_LIST.slice(cut)], 0)).toEqual(expected);
  });

  test('an indented sequence, CRLF line ends and a byte-order mark read item by item too', () => {
    const text =
      '\ufeffapiVersion: v1\r\nitems:\r\n  - kind: Pod\r\n    metadata: {name: a}\r\n  - kind: Node\r\nkind: List\r\n';
    expect(placed(read([text], 0))).toEqual(['Pod 1/1', 'Node 1/2']);
  });

  test('an item that uses an anchor of another item is an error for that item only (items are parsed apart)', () => {
    const events = read(['items:\n- &shared {kind: Pod, metadata: {name: a}}\n- *shared\n- kind: Node\n'], 0);
    expect(placed(events)).toEqual(['Pod 1/1', 'Node 1/3']);
    expect(errors(events)).toEqual([
      { line: 3, message: expect.stringMatching(/^invalid YAML in item 2 of document 1: .*alias.*shared/) },
    ]);
  });

  test('a large document that is not a List is read whole up to the object limit', () => {
    expect(values(read(['kind: Pod\nmetadata:\n  name: big\nitems:\nspec: {}\n'], 0))).toEqual([
      { kind: 'Pod', metadata: { name: 'big' }, items: null, spec: {} },
    ]);
  });

  test('a line longer than the object limit is an error; the next document is read', () => {
    const junk = 'x'.repeat(1024 * 1024);
    const pieces = Array.from({ length: MAX_OBJECT_CHARS / junk.length + 1 }, () => junk);
    const events = read([...pieces, '\n---\nkind: Pod\n']);
    expect(values(events)).toEqual([{ kind: 'Pod' }]);
    expect(errors(events)).toEqual([
      {
        line: 1,
        message:
          'document 1 is larger than 8 MB and is not a List whose items can be read one by one; the rest of it was skipped',
      },
    ]);
  });

  test('an item larger than the object limit is an error; the items after it are read', () => {
    const big = `  data: "${'x'.repeat(MAX_OBJECT_CHARS)}"\n`;
    const events = read(['items:\n- kind: ConfigMap\n', big, '- kind: Node\n'], 0);
    expect(values(events)).toEqual([{ kind: 'Node' }]);
    expect(errors(events)).toEqual([
      { line: 2, message: 'item 1 of document 1 is larger than 8 MB; it was skipped' },
    ]);
  });

  test('what kubectl accepts and js-yaml refuses is read (a flow sequence closed at its key’s column, as in Filebeat)', () => {
    const text = 'kind: DaemonSet\nspec:\n  args: [\n    "-c", "/etc/filebeat.yml",\n  ]\n';
    expect(read([text])).toEqual([
      {
        type: 'value',
        value: { kind: 'DaemonSet', spec: { args: ['-c', '/etc/filebeat.yml'] } },
        position: { document: 1, line: 1 },
      },
    ]);
  });

  test('an alias bomb and deep nesting are errors, not hangs or crashes', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level < 10; level++)
      bomb.push(
        `${String.fromCharCode(97 + level)}: &${String.fromCharCode(97 + level)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + level)}`)
          .join(', ')}]`,
      );
    expect(errors(read([`${bomb.join('\n')}\n---\nkind: Pod\n`]))).toEqual([
      { line: 1, message: expect.stringMatching(/expands to more than 1,000,000 values through aliases/) },
    ]);
    expect(errors(read([`${'['.repeat(100_000)}${']'.repeat(100_000)}\n`]))).toEqual([
      { line: 1, message: 'invalid YAML in document 1: nesting exceeded maxDepth (256)' },
    ]);
  });
});

describe('choosing JSON or YAML', () => {
  test('YAML in flow style that starts like JSON is read as YAML', () => {
    expect(parseDocuments('\n\n  {kind: Pod, metadata: {name: x}}\n', '-').documents).toEqual([
      { kind: 'Pod', metadata: { name: 'x' } },
    ]);
  });

  test('a .json file is JSON only; whitespace and a byte-order mark before it keep the line numbers', () => {
    expect(parseDocuments('\ufeff\n\n{"a": 1,}', 'x.json').errors).toEqual([
      { line: 3, message: 'invalid JSON: expected a property name in double quotes, found "}"' },
    ]);
  });

  test('empty and blank input hold no document', () => {
    expect(parseDocuments('', '-')).toEqual({ documents: [], positions: [], errors: [] });
    expect(parseDocuments(' \n\t\n', '-')).toEqual({ documents: [], positions: [], errors: [] });
  });
});
