import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { DiffDocument, Report } from '../../lambda/report/model.ts';
import type { RunManifest } from '../../lambda/store/manifest.ts';
import { REPO_ROOT } from './paths.ts';

const schema = (name: string) =>
  JSON.parse(readFileSync(`${REPO_ROOT}lambda/report/${name}.schema.json`, 'utf8')) as object;
const ajv = new Ajv2020({ allErrors: true, strict: true });
// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  a: Ajv2020,
) => void;
addFormats(ajv);
const validate = ajv.compile(schema('report'));
// diff.schema.json refers to report.schema.json's definitions, which the line above registered.
const validateDiff = ajv.compile(schema('diff'));
const validateManifest = ajv.compile(schema('manifest'));

/** Throws with every schema violation when the report does not match report.schema.json. */
export function assertValidReport(report: unknown): asserts report is Report {
  if (!validate(report)) {
    throw new Error(`report.json does not match its schema:\n${JSON.stringify(validate.errors, null, 2)}`);
  }
}

export function assertValidDiff(diff: unknown): asserts diff is DiffDocument {
  if (!validateDiff(diff)) {
    throw new Error(`diff.json does not match its schema:\n${JSON.stringify(validateDiff.errors, null, 2)}`);
  }
}

export function assertValidManifest(manifest: unknown): asserts manifest is RunManifest {
  if (!validateManifest(manifest)) {
    throw new Error(
      `manifest.json does not match its schema:\n${JSON.stringify(validateManifest.errors, null, 2)}`,
    );
  }
}
