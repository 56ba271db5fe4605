import { describe, expect, test } from 'vitest';
import { MAX_OBJECT_CHARS, type ReadEvent } from '../../lambda/collect/document-stream.ts';
import { JsonStreamReader } from '../../lambda/collect/json-stream.ts';

/** Everything the reader says about a text written in the pieces given. */
function read(pieces: readonly string[]): ReadEvent[] {
  const events: ReadEvent[] = [];
  const reader = new JsonStreamReader((event) => events.push(event));
  for (const piece of pieces) reader.write(piece);
  reader.end();
  return events;
}

const values = (events: ReadEvent[]) =>
  events.flatMap((event) => (event.type === 'value' ? [event.value] : []));
const errors = (events: ReadEvent[]) =>
  events.flatMap((event) => (event.type === 'error' ? [{ line: event.line, message: event.message }] : []));

const SNAPSHOT = `{
    "apiVersion": "v1",
    "items": [
        {"kind": "Pod", "metadata": {"name": "a\\"quoted\\\\"}, "spec": {"x": [1, 2.5e3, true, null]}},
        {"kind": "Node", "metadata": {"name": "n\\u00e9"}}
    ],
    "kind": "List",
    "metadata": {"resourceVersion": ""}
}`;

describe('the JSON reader hands out one List item at a time', () => {
  test("a kubectl List: its items, with their document, index and line; the List's envelope is not an object", () => {
    const events = read([SNAPSHOT]);
    expect(values(events)).toEqual([
      { kind: 'Pod', metadata: { name: 'a"quoted\\' }, spec: { x: [1, 2500, true, null] } },
      { kind: 'Node', metadata: { name: 'né' } },
    ]);
    expect(events.map((event) => event.type === 'value' && event.position)).toEqual([
      { document: 1, item: 1, line: 4 },
      { document: 1, item: 2, line: 5 },
    ]);
  });

  test('the same text cut into pieces at every position reads the same (strings, escapes, numbers across chunks)', () => {
    const whole = read([SNAPSHOT]);
    for (let cut = 1; cut < SNAPSHOT.length; cut++) {
      expect(read([SNAPSHOT.slice(0, cut), SNAPSHOT.slice(cut)])).toEqual(whole);
    }
    expect(read([...SNAPSHOT])).toEqual(whole);
  });

  test('a single object, a top-level array and values one after another are documents', () => {
    expect(values(read(['{"kind":"Pod","n":1}']))).toEqual([{ kind: 'Pod', n: 1 }]);
    expect(
      read(['[{"kind":"Pod"},\n{"kind":"Node"}]']).map((event) => event.type === 'value' && event.position),
    ).toEqual([
      { document: 1, item: 1, line: 1 },
      { document: 1, item: 2, line: 2 },
    ]);
    expect(values(read(['{"kind":"Pod"}\n{"kind":"Node"}']))).toEqual([{ kind: 'Pod' }, { kind: 'Node' }]);
  });

  test('a kind other than List with top-level items is an object of its own, and its items are read too', () => {
    expect(values(read(['{"items":[{"kind":"Pod"}],"kind":"Inventory","metadata":{"name":"i"}}']))).toEqual([
      { kind: 'Pod' },
      { kind: 'Inventory', metadata: { name: 'i' } },
    ]);
  });

  test('a broken item is one error with its line; the items around it are read', () => {
    const events = read([
      '{"kind":"List","items":[\n{"kind":"Pod"},\n{"kind": "Pod",,},\n{"kind":"Node"}\n]}',
    ]);
    expect(values(events)).toEqual([{ kind: 'Pod' }, { kind: 'Node' }]);
    expect(errors(events)).toEqual([{ line: 3, message: expect.stringMatching(/^invalid JSON: /) }]);
    // JSON.parse quotes the input in its message: none of it reaches the report.
    expect(errors(events)[0]?.message).not.toContain('"kind"');
  });

  test('nesting deeper than the limit is one error for that item, read to its end without keeping it', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const events = read([`{"items":[{"kind":"Pod"},${deep},{"kind":"Node"}]}`]);
    expect(values(events)).toEqual([{ kind: 'Pod' }, { kind: 'Node' }]);
    expect(errors(events)).toEqual([
      { line: 1, message: 'item 2 of document 1 is nested deeper than 256 levels; it was skipped' },
    ]);
  });

  test('an item larger than the limit is one error; the next item is read', () => {
    const big = `{"kind":"ConfigMap","data":{"a":"${'x'.repeat(MAX_OBJECT_CHARS)}"}}`;
    const chunks = ['{"items":[', big.slice(0, 5_000_000), big.slice(5_000_000), ',{"kind":"Node"}]}'];
    const events = read(chunks);
    expect(values(events)).toEqual([{ kind: 'Node' }]);
    expect(errors(events)).toEqual([
      { line: 1, message: 'item 1 of document 1 is larger than 8 MB; it was skipped' },
    ]);
  });

  test('a truncated file: what was complete is read, and the end is an error', () => {
    const events = read(['{"kind":"List","items":[\n{"kind":"Pod"},\n{"kind":"No']);
    expect(values(events)).toEqual([{ kind: 'Pod' }]);
    expect(errors(events)).toEqual([
      { line: 3, message: 'the input ends inside item 2 of document 1: the file is truncated' },
    ]);
  });

  test('broken structure stops the file with one error at its line', () => {
    expect(errors(read(['{\n "a": 1,\n}']))).toEqual([
      { line: 3, message: 'invalid JSON: expected a property name in double quotes, found "}"' },
    ]);
    expect(errors(read(['{"items":[{"kind":"Pod"}] x']))).toEqual([
      { line: 1, message: 'invalid JSON: expected "," or "}", found "x"' },
    ]);
    expect(errors(read(['\u0000']))[0]?.message).toBe(
      'invalid JSON: expected a JSON object or array, found the control character U+0000',
    );
  });
});
