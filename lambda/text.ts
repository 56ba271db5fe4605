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
