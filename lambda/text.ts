/** Small text helpers every layer may use (a leaf: it imports nothing). */

/** `1 node`, `2 nodes`. */
export function plural(count: number, word: string): string {
  return count === 1 ? word : `${word}s`;
}

/** Clips to `max` characters (code points, so no surrogate is split), marking the cut with `…`. */
export function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/**
 * Text from input (a cluster, a kubeconfig, a file, a server's message) as the terminal may
 * show it: control characters would drive it (colours, cursor, title) or start a forged line,
 * and bidirectional overrides would reorder what is read. Every terminal writer passes such
 * text through here; line breaks of our own are added around it, never inside it.
 */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing them is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '?');
}
