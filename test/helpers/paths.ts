import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CORPUS_DIR = fileURLToPath(new URL('../corpus/', import.meta.url));
export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const CLI = fileURLToPath(new URL('../../bin/dockershim-audit.js', import.meta.url));
