import { loadAll, YAMLException } from 'js-yaml';
import { Composer, type CST, LineCounter, Parser } from 'yaml';
import { describeError } from '../errors.ts';
import { isRecord } from '../kube/objects.ts';
import { MAX_EXPANDED_VALUES, MAX_NESTING_DEPTH } from './document-stream.ts';

export type YamlParse =
  | { values: unknown[] }
  /** `line` is 0-based within the text. */
  | { error: string; line: number };

/**
 * Parses the text of one YAML document (or one List item) under the limits a hostile file
 * needs: nesting depth, and the expansion of aliases. js-yaml reads it first: it is about ten
 * times faster than the `yaml` package, which a 200,000-pod snapshot needs. js-yaml is also
 * stricter than kubectl (go-yaml) about indentation (Elastic's Filebeat manifest closes a flow
 * sequence at its key's column), so text it refuses is read again by `yaml`, which accepts
 * what kubectl accepts; only when both refuse is the document an error.
 */
export function parseYaml(text: string): YamlParse {
  let parsed: YamlParse;
  try {
    // `json: true`: a duplicated key keeps its last value, as Helm output sometimes needs.
    parsed = { values: loadAll(text, { json: true, maxDepth: MAX_NESTING_DEPTH }) };
  } catch (error) {
    if (!(error instanceof YAMLException) || error.reason.startsWith('nesting exceeded'))
      return { error: reasonOf(error), line: lineOf(error) };
    parsed = parseLeniently(text);
  }
  if ('error' in parsed) return parsed;
  // Aliases are shared, not copied, by both parsers; whoever walks the value later is not.
  if (text.includes('*') && parsed.values.some((value) => expandsBeyond(value, MAX_EXPANDED_VALUES)))
    return {
      error: `it expands to more than ${MAX_EXPANDED_VALUES.toLocaleString('en')} values through aliases (an "alias bomb")`,
      line: 0,
    };
  return parsed;
}

/** The `yaml` package, with the depth checked on its syntax tree before the (recursive) composition. */
function parseLeniently(text: string): YamlParse {
  const lines = new LineCounter();
  const tokens = Array.from(new Parser(lines.addNewLine).parse(text));
  if (tokens.some((token) => depthOf(token) > MAX_NESTING_DEPTH))
    return { error: `nesting exceeded maxDepth (${MAX_NESTING_DEPTH})`, line: 0 };
  const values: unknown[] = [];
  for (const document of new Composer({ uniqueKeys: false, logLevel: 'silent' }).compose(tokens)) {
    const first = document.errors[0];
    if (first) {
      const message = (first.message.split('\n')[0] ?? 'invalid YAML').replace(/:\s*$/, '');
      return { error: message, line: lines.linePos(first.pos[0]).line - 1 };
    }
    try {
      values.push(document.toJS({ maxAliasCount: 1000 }));
    } catch (error) {
      return { error: describeError(error), line: 0 };
    }
  }
  return { values };
}

/** How deep collections nest in a syntax tree, walked without recursion. */
function depthOf(root: CST.Token): number {
  const stack: Array<[CST.Token, number]> = [[root, 0]];
  let deepest = 0;
  while (stack.length > 0) {
    const [token, depth] = stack.pop() as [CST.Token, number];
    if (depth > deepest) deepest = depth;
    if (deepest > MAX_NESTING_DEPTH) return deepest;
    if (token.type === 'document' && token.value) stack.push([token.value, depth]);
    if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      for (const item of token.items) {
        if ('key' in item && item.key) stack.push([item.key, depth + 1]);
        if (item.value) stack.push([item.value, depth + 1]);
      }
    }
  }
  return deepest;
}

function reasonOf(error: unknown): string {
  return error instanceof YAMLException ? error.reason : describeError(error);
}

function lineOf(error: unknown): number {
  return error instanceof YAMLException && error.mark ? error.mark.line : 0;
}

/** Counts values as a walk of the value would meet them, shared ones each time; stops at the budget. */
export function expandsBeyond(value: unknown, budget: number): boolean {
  const stack: unknown[] = [value];
  let seen = 0;
  while (stack.length > 0) {
    const current = stack.pop();
    if (++seen > budget) return true;
    if (Array.isArray(current)) for (const entry of current) stack.push(entry);
    else if (isRecord(current)) for (const entry of Object.values(current)) stack.push(entry);
  }
  return false;
}
