import { spawn, spawnSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { StoreError } from '../../lambda/store/errors.ts';
import { LocalDirectoryStore } from '../../lambda/store/local-store.ts';
import { writeArtifacts } from '../../lambda/store/write-artifacts.ts';

const tempDir = () => mkdtemp(join(tmpdir(), 'dsa-atomic-'));
const ARTIFACT = [{ name: 'report.json', contentType: 'application/json', body: '{"fresh": true}\n' }];

/** A file outside the folder being written, which nothing may change. */
async function victim(dir: string): Promise<string> {
  const path = join(dir, 'outside.txt');
  await writeFile(path, 'keep me\n');
  return path;
}

describe('writing a report never follows a symlink planted beside it', () => {
  test('a symlink at the temporary name the old code used (report.json.<pid>.tmp) is not written through', async () => {
    const dir = await tempDir();
    const target = await victim(dir);
    const out = join(dir, 'out');
    await mkdir(out);
    await symlink(target, join(out, `report.json.${process.pid}.tmp`));

    await writeArtifacts(out, ARTIFACT);
    expect(await readFile(target, 'utf8')).toBe('keep me\n');
    expect(await readFile(join(out, 'report.json'), 'utf8')).toBe('{"fresh": true}\n');
    // No temporary file is left behind, whatever its name.
    expect((await readdir(out)).sort()).toEqual(['report.json', `report.json.${process.pid}.tmp`]);
  });

  test('a symlink at the final name is replaced, not followed', async () => {
    const dir = await tempDir();
    const target = await victim(dir);
    const out = join(dir, 'out');
    await mkdir(out);
    await symlink(target, join(out, 'report.json'));

    await writeArtifacts(out, ARTIFACT);
    expect(await readFile(target, 'utf8')).toBe('keep me\n');
    expect((await lstat(join(out, 'report.json'))).isFile()).toBe(true);
  });

  test('a symlinked folder inside a store is refused with a hint; nothing is written where it points', async () => {
    const dir = await tempDir();
    const elsewhere = join(dir, 'elsewhere');
    await mkdir(elsewhere);
    const root = join(dir, 'store');
    await mkdir(root);
    await symlink(elsewhere, join(root, 'runs'));
    const store = new LocalDirectoryStore(root);

    const error = await store
      .put('runs/20261122T030000Z-a1b2c3/report.json', '{}', 'application/json')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toContain(
      'is not a folder (a symlink or a file); it is not followed',
    );
    expect((error as StoreError).hint).toMatch(/^A symlink stands where the tool writes; it is not followed/);
    expect(await readdir(elsewhere)).toEqual([]);
  });

  test('a planted symlink in a store is not read either', async () => {
    const dir = await tempDir();
    const target = await victim(dir);
    const root = join(dir, 'store');
    await mkdir(root);
    await symlink(target, join(root, 'latest.json'));
    const error = await new LocalDirectoryStore(root).get('latest.json').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreError);
  });

  test('a create-only write never replaces what is there, a symlink included', async () => {
    const dir = await tempDir();
    const target = await victim(dir);
    const root = join(dir, 'store');
    await mkdir(join(root, 'runs', 'x'), { recursive: true });
    await symlink(target, join(root, 'runs', 'x', 'planted.json'));
    const store = new LocalDirectoryStore(root);

    await store.put('runs/x/new.json', 'first', 'application/json', { ifNoneMatch: '*' });
    for (const key of ['runs/x/new.json', 'runs/x/planted.json'])
      await expect(store.put(key, 'second', 'application/json', { ifNoneMatch: '*' })).rejects.toMatchObject({
        code: 'STORE_CONFLICT',
      });
    expect(await readFile(join(root, 'runs', 'x', 'new.json'), 'utf8')).toBe('first');
    expect(await readFile(target, 'utf8')).toBe('keep me\n');
  });

  test('a compare-and-swap replaces only the version it read', async () => {
    const store = new LocalDirectoryStore(await tempDir());
    const first = await store.put('latest.json', 'one', 'application/json', { ifNoneMatch: '*' });
    const second = await store.put('latest.json', 'two', 'application/json', { ifMatch: first });
    await expect(
      store.put('latest.json', 'three', 'application/json', { ifMatch: first }),
    ).rejects.toMatchObject({
      code: 'STORE_CONFLICT',
    });
    expect((await store.getVersioned('latest.json'))?.version).toBe(second);
    await expect(store.delete('latest.json', { ifMatch: first })).rejects.toMatchObject({
      code: 'STORE_CONFLICT',
    });
    await store.delete('latest.json', { ifMatch: second });
    expect(await store.get('latest.json')).toBeUndefined();
  });

  test('the lock of a compare-and-swap names its pid: a lock whose process is gone is removed, a live one is an error that says whose', async () => {
    const root = await tempDir();
    const store = new LocalDirectoryStore(root, { keyLockWaitMs: 300 });
    const version = await store.put('latest.json', 'one', 'application/json');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    await writeFile(
      join(root, 'latest.json.lock'),
      JSON.stringify({ pid: Number(gone.stdout), host: hostname() }),
    );
    const next = await store.put('latest.json', 'two', 'application/json', { ifMatch: version });
    expect(await readdir(root)).toEqual(['latest.json']);

    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    try {
      await writeFile(join(root, 'latest.json.lock'), JSON.stringify({ pid: sleeper.pid, host: hostname() }));
      const error = await store
        .put('latest.json', 'three', 'application/json', { ifMatch: next })
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'STORE_LOCKED' });
      expect((error as StoreError).message).toContain(`held by process ${sleeper.pid} on ${hostname()}`);
      expect(await readFile(join(root, 'latest.json'), 'utf8')).toBe('two');
    } finally {
      sleeper.kill();
    }
  });
});
