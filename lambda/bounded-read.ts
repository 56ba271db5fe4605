import { open } from 'node:fs/promises';

/** A file larger than its reader accepts; `bytes` is its size, or what was read before stopping. */
export class FileTooLarge extends Error {
  override name = 'FileTooLarge';
  readonly bytes: number;
  constructor(path: string, bytes: number) {
    super(`${path} is larger than allowed`);
    this.bytes = bytes;
  }
}

/**
 * A text file, read only if it is at most `maxBytes`: a regular file is measured first (a
 * huge one fails at once, before any of it is read); a pipe or device, which has no size, is
 * read up to the limit and no further. Other failures are the file system's, with their code.
 */
export async function readBoundedText(path: string, maxBytes: number): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) throw new FileTooLarge(path, size);
    const chunks: Buffer[] = [];
    let read = 0;
    for await (const chunk of handle.createReadStream({ autoClose: false }) as AsyncIterable<Buffer>) {
      read += chunk.length;
      if (read > maxBytes) throw new FileTooLarge(path, read);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    await handle.close();
  }
}
