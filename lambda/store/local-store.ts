import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { errnoCode, errorText, fileSystemFailure, writeFileAtomically } from './atomic-file.ts';
import { StoreError } from './errors.ts';
import type { ReportStore } from './report-store.ts';

// Without --store the --out folder is the store, so the hint names both options.
const CHOOSE_STORE = 'with --store (or with --out when --store is not given)';

/** A report store in a local folder: the default for the CLI, and what tests use beside S3. */
export class LocalDirectoryStore implements ReportStore {
  readonly location: string;

  constructor(dir: string) {
    this.location = resolve(dir);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const path = this.pathOf(key);
    try {
      return new Uint8Array(await readFile(path));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw this.failure(key, 'read', error);
    }
  }

  async put(key: string, body: string, _contentType: string): Promise<void> {
    try {
      await writeFileAtomically(this.pathOf(key), body);
    } catch (error) {
      throw this.failure(key, 'write', error);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return;
        throw this.failure(relative(this.location, dir), 'list', error);
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile()) keys.push(relative(this.location, path).split(sep).join('/'));
      }
    };
    // Walk from the deepest folder the prefix names, not the whole store.
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    await walk(folder === '' ? this.location : this.pathOf(folder));
    return keys.filter((key) => key.startsWith(prefix)).sort();
  }

  async link(key: string): Promise<string> {
    return this.pathOf(key);
  }

  /** Keys are built by the tool, but parts of them (run ids) are read back from the store. */
  private pathOf(key: string): string {
    const parts = key.split('/');
    if (key.startsWith('/') || parts.some((part) => part === '' || part === '.' || part === '..'))
      throw new StoreError(`${this.location}/${key}`, 'not a key inside the store');
    return join(this.location, ...parts);
  }

  private failure(key: string, action: string, error: unknown): StoreError {
    return new StoreError(
      join(this.location, key),
      `cannot ${action}: ${errorText(error)}`,
      fileSystemFailure(error, CHOOSE_STORE),
    );
  }
}
