/** SVG coordinates to two decimals: shorter markup, and the same text on every platform. */
export function round(value: number): number {
  return Math.round(value * 100) / 100;
}
