import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Report } from '../../lambda/report/model.ts';
import { REPO_ROOT } from './paths.ts';

const schema = JSON.parse(readFileSync(`${REPO_ROOT}lambda/report/report.schema.json`, 'utf8')) as object;
const ajv = new Ajv2020({ allErrors: true, strict: true });
// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  a: Ajv2020,
) => void;
addFormats(ajv);
const validate = ajv.compile(schema);

/** Throws with every schema violation when the report does not match report.schema.json. */
export function assertValidReport(report: unknown): asserts report is Report {
  if (!validate(report)) {
    throw new Error(`report.json does not match its schema:\n${JSON.stringify(validate.errors, null, 2)}`);
  }
}
