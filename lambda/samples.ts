/**
 * Something that happened many times, told in one line: how many times, and the first few
 * examples. Memory stays the same however often it happens.
 */
export class Samples {
  count = 0;
  readonly examples: string[] = [];
  private readonly limit: number;

  constructor(limit = 5) {
    this.limit = limit;
  }

  /** Counts every time; an example already shown is not shown twice. */
  add(example: string): void {
    this.count++;
    if (this.examples.length < this.limit && !this.examples.includes(example)) this.examples.push(example);
  }

  /** `a, b, c and 7 more` */
  list(): string {
    const more = this.count - this.examples.length;
    return more > 0 ? `${this.examples.join(', ')} and ${more} more` : this.examples.join(', ');
  }
}

/** `1 file`, `3 files`, `1,200 objects`. */
export function counted(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en')} ${count === 1 ? one : many}`;
}
