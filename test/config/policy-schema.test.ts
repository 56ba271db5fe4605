import { readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadPolicyConfig, parsePolicyConfig } from '../../lambda/config/audit-config.ts';
import { ConfigError } from '../../lambda/config/errors.ts';
import { POLICY_SCHEMA_PATH } from '../../lambda/config/policy-schema.ts';
import type { Report } from '../../lambda/report/model.ts';
import { REPO_ROOT } from '../helpers/paths.ts';
import { runCli } from '../helpers/run-cli.ts';

/** The shipped schema file, as an editor reads it (that it is up to date: test/docs). */
const schema = JSON.parse(readFileSync(join(REPO_ROOT, POLICY_SCHEMA_PATH), 'utf8')) as object;
// Strict: a keyword an editor would not understand, or a typo in the schema, fails compiling.
// Except for `anyOf: [{required: [rule]}, ...]`, which names properties declared beside it.
const validate = new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile(schema);

/** The example policies people copy: the full one in deploy/, the demo's (README shows it). */
const EXAMPLES = ['deploy/policy.example.yaml', 'demo/policy.yaml'];

const SCHEMA_LINE = /^# yaml-language-server: \$schema=(\S+)$/m;

const ENTRY = { id: 'acme', vendor: 'ACME', product: 'Sensor', guidance: 'Upgrade.' };

/** Policies a user might write by mistake: the schema marks each in the editor, and the audit refuses each. */
const MISTAKES: Array<[string, unknown]> = [
  ['a misspelt section', { exemption: [{ rule: 'DS001', reason: 'r' }] }],
  ['a rule that does not exist', { rules: { DS999: { severity: 'high' } } }],
  ['a severity that does not exist', { rules: { DS001: { severity: 'urgent' } } }],
  ['a misspelt rule setting', { rules: { DS001: { severty: 'high' } } }],
  ['an enabled that is not true or false', { rules: { DS001: { enabled: 'no' } } }],
  ['an exemption without a reason', { exemptions: [{ rule: 'DS001' }] }],
  ['an exemption of nothing in particular', { exemptions: [{ reason: 'r', cluster: 'prod' }] }],
  ['a blank reason', { exemptions: [{ rule: 'DS001', reason: '  ' }] }],
  ['a kind in lower case', { exemptions: [{ resource: 'daemonset/falco/falco', reason: 'r' }] }],
  ['a resource without its namespace', { exemptions: [{ resource: 'DaemonSet/falco', reason: 'r' }] }],
  ['a finding id that is not one', { exemptions: [{ findingId: 'DS001-xyz', reason: 'r' }] }],
  ['a day written another way', { exemptions: [{ rule: 'DS001', reason: 'r', expires: '31.03.2027' }] }],
  ['a misspelt exemption field', { exemptions: [{ rule: 'DS001', reason: 'r', expire: '2027-03-31' }] }],
  ['an agent with nothing to match on', { agents: [ENTRY] }],
  ['an agent with an empty list to match on', { agents: [{ ...ENTRY, names: [] }] }],
  ['a misspelt agent field', { agents: [{ ...ENTRY, names: ['acme'], refrences: [] }] }],
  ['an agent without guidance', { agents: [{ id: 'a', vendor: 'v', product: 'p', names: ['a'] }] }],
  ['a pool label Kubernetes would refuse', { plan: { poolLabels: ['not a label'] } }],
  ['a misspelt plan setting', { plan: { poolLabel: ['acme.io/pool'] } }],
  ['a list where a mapping belongs', { rules: ['DS001'] }],
];

describe('the policy file has a JSON Schema for editors', () => {
  test.each(EXAMPLES)(
    '%s: valid for the schema and for the audit, and names the schema for editors',
    async (file) => {
      const path = join(REPO_ROOT, file);
      const text = readFileSync(path, 'utf8');
      // What yaml-language-server reads: the path in the modeline, from the file's folder.
      const named = SCHEMA_LINE.exec(text)?.[1];
      expect(named && join(path, '..', named)).toBe(join(REPO_ROOT, POLICY_SCHEMA_PATH));
      expect(validate(parseYaml(text)), JSON.stringify(validate.errors)).toBe(true);
      await expect(loadPolicyConfig(path)).resolves.toBeDefined();
    },
  );

  test.each(MISTAKES)('%s: the schema refuses it, and so does the audit', (_name, policy) => {
    expect(validate(policy)).toBe(false);
    expect(() => parsePolicyConfig(policy, 'policy.yaml')).toThrow(ConfigError);
  });

  test('a JSON policy may name its schema with $schema; the audit ignores it', () => {
    const policy = { $schema: `../${POLICY_SCHEMA_PATH}`, rules: { DS042: { enabled: false } } };
    expect(validate(policy)).toBe(true);
    expect(parsePolicyConfig(policy, 'policy.json').rules).toEqual({ DS042: { enabled: false } });
    expect(() => parsePolicyConfig({ $schema: 42 }, 'policy.json')).toThrow(ConfigError);
  });

  test('the demo policy does on the demo what it says: its rules are off, its exemptions apply with their reasons', async () => {
    const policyPath = join(REPO_ROOT, 'demo/policy.yaml');
    const policy = await loadPolicyConfig(policyPath);
    const out = await mkdtemp(join(tmpdir(), 'dsa-demo-policy-'));
    const run = await runCli([
      'scan',
      '--demo',
      '--config',
      policyPath,
      '--out',
      out,
      '--format',
      'json',
      '-q',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as Report;
    const findings = report.clusters.flatMap((cluster) => cluster.findings);
    const off = Object.entries(policy.rules).filter(([, setting]) => setting.enabled === false);
    expect(off.length).toBeGreaterThan(0);
    for (const [id] of off) expect(findings.filter((finding) => finding.rule === id)).toEqual([]);
    expect(policy.exemptions.length).toBeGreaterThan(0);
    for (const exemption of policy.exemptions) {
      const exempt = findings.filter((finding) => finding.exemption?.reason === exemption.reason);
      expect(exempt.length, exemption.reason).toBeGreaterThan(0);
      for (const finding of exempt) {
        if (exemption.rule) expect(finding.rule).toBe(exemption.rule);
        if (exemption.resource)
          expect(
            `${finding.resource.kind}/${finding.resource.namespace ?? ''}/${finding.resource.name}`,
          ).toBe(exemption.resource);
      }
    }
  });
});
