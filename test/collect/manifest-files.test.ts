import { mkdir, mkdtemp, realpath, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { manifestFiles, VisitedPaths } from '../../lambda/collect/manifest-files.ts';

/** Every file the walk yields under `roots`, relative to `base`, and what it said. */
async function walk(base: string, roots: string[]) {
  const said: string[] = [];
  const files: string[] = [];
  const visited = new VisitedPaths();
  const observer = {
    error: (path: string, message: string) => said.push(`error ${relative(base, path)}: ${message}`),
    followed: (link: string, target: string) =>
      said.push(`followed ${relative(base, link)} -> ${relative(base, target)}`),
    skipped: (path: string) => said.push(`skipped ${relative(base, path)}`),
  };
  for (const root of roots)
    for await (const file of manifestFiles(root, visited, observer)) files.push(relative(base, file));
  return { files, said };
}

const tree = async () => {
  const base = await realpath(await mkdtemp(join(tmpdir(), 'dsa-walk-')));
  await mkdir(join(base, 'k8s', 'apps', 'deep'), { recursive: true });
  await mkdir(join(base, 'shared'));
  for (const file of [
    'k8s/b.yaml',
    'k8s/a.YML',
    'k8s/apps/z.json',
    'k8s/apps/deep/x.yaml',
    'k8s/README.md',
    'shared/common.yaml',
  ])
    await writeFile(join(base, file), 'kind: ConfigMap\n');
  return base;
};

describe('walking --manifests folders', () => {
  test('YAML and JSON files only, depth first in code-point order (the same on every machine)', async () => {
    const base = await tree();
    const { files, said } = await walk(base, [join(base, 'k8s')]);
    expect(files).toEqual(['k8s/a.YML', 'k8s/apps/deep/x.yaml', 'k8s/apps/z.json', 'k8s/b.yaml']);
    expect(said).toEqual([]);
  });

  test('links to files and folders are followed and said; a loop and a second path to a folder are read once', async () => {
    const base = await tree();
    await symlink(join(base, 'shared'), join(base, 'k8s', 'shared'));
    await symlink(join(base, 'shared', 'common.yaml'), join(base, 'k8s', 'common.yaml'));
    await symlink(join(base, 'k8s'), join(base, 'k8s', 'apps', 'loop'));
    const { files, said } = await walk(base, [join(base, 'k8s'), join(base, 'k8s', 'apps')]);
    expect(files).toEqual([
      'k8s/a.YML',
      'k8s/apps/deep/x.yaml',
      'k8s/apps/z.json',
      'k8s/b.yaml',
      'k8s/common.yaml',
    ]);
    expect(said).toEqual([
      'skipped k8s/apps/loop',
      'followed k8s/common.yaml -> shared/common.yaml',
      // The file under the linked folder was already read through its link.
      'followed k8s/shared -> shared',
      'skipped k8s/shared/common.yaml',
      'skipped k8s/apps',
    ]);
  });

  test('a broken link named like a manifest is an error; other broken links are only said', async () => {
    const base = await tree();
    await symlink(join(base, 'gone.yaml'), join(base, 'k8s', 'broken.yaml'));
    await symlink(join(base, 'gone'), join(base, 'k8s', 'broken-folder'));
    const { said } = await walk(base, [join(base, 'k8s')]);
    expect(said).toEqual([
      'skipped k8s/broken-folder',
      'error k8s/broken.yaml: a symbolic link that leads nowhere (no such file or folder)',
    ]);
  });

  test('a path that does not exist is an error', async () => {
    const base = await tree();
    expect((await walk(base, [join(base, 'nothing')])).said).toEqual([
      'error nothing: no such file or folder',
    ]);
  });
});
