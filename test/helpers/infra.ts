import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Environment, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type BuiltApp, buildApp } from '../../infra/build-app.ts';
import { REPO_ROOT } from './paths.ts';

/** cdk.json's context: the settings and feature flags `npx cdk synth` uses. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

export interface SynthResult extends BuiltApp {
  template: Template;
}

/**
 * The stack as cdk.json describes it, with `overrides` on top, synthesized in-process. The
 * function is not bundled (`aws:cdk:bundling-stacks: []`): these tests look at the template.
 * cdk-nag runs during synthesis, so a finding nobody acknowledged fails every test here.
 */
export function synth(
  overrides: Record<string, unknown> = {},
  env?: Environment,
  /** Changes the stack before it is synthesized (a test adding what the checks must catch). */
  modify?: (stack: Stack) => void,
): SynthResult {
  const built = buildApp({
    app: {
      context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...overrides },
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
