import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Environment, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type BuiltApp, buildApp } from '../../infra/build-app.ts';
import { FIXTURES_DIR, REPO_ROOT } from './paths.ts';

/** cdk.json's context: the settings and feature flags `npx cdk synth` uses. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/**
 * cdk.json's CDK feature flags (keys like `@aws-cdk/core:checkSecretUsage`). They come with the
 * CDK version and shape the template that is deployed, so the tests build with them; the
 * deployment settings beside them are the operator's to edit, and the tests do not read those.
 */
export function cdkFeatureFlags(): Record<string, unknown> {
  return Object.fromEntries(Object.entries(cdkJsonContext()).filter(([key]) => key.includes(':')));
}

/** The deployment settings the infra tests build from, in place of cdk.json's: test/fixtures/infra/cdk-context.json. */
export function fixtureContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, 'infra', 'cdk-context.json'), 'utf8')) as Record<
    string,
    unknown
  >;
}

export interface SynthResult extends BuiltApp {
  template: Template;
}

/**
 * The stack as the fixture context describes it (with cdk.json's feature flags), `overrides` on
 * top, synthesized in-process: an operator who edits cdk.json's settings, as README says, changes
 * the deployment and not these tests. The function is not bundled (`aws:cdk:bundling-stacks:
 * []`): these tests look at the template. cdk-nag runs during synthesis, so a finding nobody
 * acknowledged fails every test here.
 */
export function synth(
  overrides: Record<string, unknown> = {},
  env?: Environment,
  /** Changes the stack before it is synthesized (a test adding what the checks must catch). */
  modify?: (stack: Stack) => void,
): SynthResult {
  const built = buildApp({
    app: {
      context: { ...cdkFeatureFlags(), ...fixtureContext(), 'aws:cdk:bundling-stacks': [], ...overrides },
      outdir: mkdtempSync(join(tmpdir(), 'dsa-cdk-')),
      analyticsReporting: false,
    },
    ...(env === undefined ? {} : { env }),
  });
  modify?.(built.stack);
  return { ...built, template: Template.fromStack(built.stack) };
}

/** Every resource of a type, by logical id. */
export function resourcesOf(
  template: Template,
  type: string,
): Record<string, { Properties?: Record<string, unknown> }> {
  return template.findResources(type) as Record<string, { Properties?: Record<string, unknown> }>;
}

/** Every statement of every IAM policy in the template, as plain objects. */
export function policyStatements(template: Template): Array<Record<string, unknown>> {
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy')).flatMap((policy) => {
    const document = policy.Properties?.PolicyDocument as { Statement: Array<Record<string, unknown>> };
    return document.Statement;
  });
}

export function asList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** `{ "Fn::Join": ["", [...]] }` with its tokens written as `<Ref>` / `<Logical.Attr>` (as cdk-nag writes them), for reading. */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if ('Ref' in object) return `<${String(object.Ref)}>`;
    if ('Fn::GetAtt' in object) return `<${(object['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in object) {
      const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(separator);
    }
  }
  return JSON.stringify(value);
}
