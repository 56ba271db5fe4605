import { describe, expect, test } from 'vitest';
import { flagOf, helpText } from '../../lambda/config/cli-help.ts';
import { parseCommandLine, parseDuration } from '../../lambda/config/cli-options.ts';
import { COMMANDS, OPTION, type OptionDeclaration } from '../../lambda/config/cli-spec.ts';
import { DEFAULT_NOTIFY_OPTIONS } from '../../lambda/config/notify-options.ts';
import { MAX_LINK_SECONDS } from '../../lambda/defaults.ts';
import { UsageError } from '../../lambda/errors.ts';
import { DEFAULT_LINK_SECONDS } from '../../lambda/store/s3-store.ts';

/**
 * The command line is declared once (cli-spec.ts); help, the parser's spec and the docs are
 * made from it. These tests hold the parser to what the declarations promise.
 */

/** A value a user might give, by what help calls it; inputs only, the outputs are compared. */
const SAMPLE: Record<string, string> = {
  PATH: '/tmp/dsa-kubeconfig',
  'PATH...': 'k8s/',
  NAME: 'prod',
  FILE: 'policy.yaml',
  DIR: '/tmp/dsa-out',
  LOCATION: 's3://audit-evidence/prod',
  KEY: 'alias/audit',
  TIME: '12h',
  LIST: 'json,md',
  SEVERITY: 'high',
  URL: 'https://hooks.slack.com/services/T000/B000/XXXX',
  F: 'slack',
  WHEN: 'always',
  ARN: 'arn:aws:sns:eu-west-1:123456789012:dockershim-audit',
  RUN_ID: '20261122T030000Z-3f9a1c',
};

/** What some options need beside them to be accepted at all. */
const NEEDS: Record<string, string[]> = {
  'cluster-name': ['--manifests', 'k8s/'],
  'kms-key-id': ['--store', 's3://audit-evidence/prod'],
  'webhook-format': ['--webhook', 'https://hooks.slack.com/services/T000/B000/XXXX'],
};

function sampleArgs(option: OptionDeclaration): string[] {
  const flag = `--${option.name}`;
  if (option.type === 'boolean') return [flag];
  if (option.choices) return [flag, option.choices.find((choice) => choice !== option.default) as string];
  if (option.range) return [flag, String(option.range.max)];
  const value = SAMPLE[option.value ?? ''];
  if (value === undefined) throw new Error(`no sample value for ${flag} ${option.value}`);
  return [flag, value];
}

const everyOption = COMMANDS.flatMap((command) =>
  command.groups.flatMap((group) =>
    group.options.filter((option) => option.name !== 'help').map((option) => ({ command, option })),
  ),
);

describe('the command line, declared once', () => {
  test.each(
    everyOption.map(({ command, option }) => [command.name, flagOf(option), command, option] as const),
  )(
    '%s %s changes what the parser returns: no option is declared and then ignored',
    (_name, _flag, command, option) => {
      const base = [command.name, ...(NEEDS[option.name] ?? [])];
      // The format needs its URL on both sides, or the URL alone would make the difference.
      const without = parseCommandLine(base);
      const withOption = parseCommandLine([...base, ...sampleArgs(option)]);
      expect(withOption).not.toEqual(without);
      expect(JSON.stringify(withOption)).not.toBe(JSON.stringify(without));
    },
  );

  const numeric = everyOption.filter(({ option }) => option.range !== undefined);
  test.each(numeric.map(({ command, option }) => [command.name, flagOf(option), command, option] as const))(
    '%s %s: absent is its declared default; its declared bounds are accepted, one past them refused',
    (_name, _flag, command, option) => {
      const range = option.range as { min: number; max: number };
      const read = (args: string[]) => JSON.stringify(parseCommandLine([command.name, ...args]));
      const at = (value: number) => read([`--${option.name}`, String(value)]);
      expect(read([])).toBe(at(option.default as number));
      expect(at(range.min)).not.toBe(at(range.max));
      expect(() => at(range.min - 1)).toThrow(UsageError);
      expect(() => at(range.max + 1)).toThrow(UsageError);
    },
  );

  const choices = everyOption.filter(({ option }) => option.choices !== undefined);
  test.each(choices.map(({ command, option }) => [command.name, flagOf(option), command, option] as const))(
    '%s %s: absent is its declared default; every declared choice is accepted, another refused',
    (_name, _flag, command, option) => {
      const read = (args: string[]) => JSON.stringify(parseCommandLine([command.name, ...args]));
      expect(read([])).toBe(read([`--${option.name}`, String(option.default)]));
      for (const choice of option.choices ?? [])
        expect(() => read([`--${option.name}`, choice])).not.toThrow();
      expect(() => read([`--${option.name}`, 'yaml'])).toThrow(UsageError);
    },
  );

  test('defaults declared as words are the ones the code applies', () => {
    // --link-expiry: the store asks for its own default when the flag is absent.
    expect(parseDuration(String(OPTION.linkExpiry.default), '--link-expiry')).toBe(DEFAULT_LINK_SECONDS);
    expect(DEFAULT_LINK_SECONDS).toBe(MAX_LINK_SECONDS);
    expect(OPTION.notify.default).toBe(DEFAULT_NOTIFY_OPTIONS.when);
    const scan = parseCommandLine(['scan']);
    if (scan.command !== 'scan') throw new Error('not a scan');
    expect(scan.options.outDir).toBe(OPTION.out.default);
    expect(scan.options.formats.join(',')).toBe(OPTION.reportFormats.default);
    // --store defaults to the --out folder, whatever that is.
    const elsewhere = parseCommandLine(['scan', '--out', '/tmp/dsa-elsewhere']);
    expect(elsewhere.command === 'scan' && elsewhere.options.store).toEqual({
      type: 'local',
      dir: '/tmp/dsa-elsewhere',
    });
  });

  test.each(COMMANDS.map((command) => [command.name, command] as const))(
    '%s --help shows every option with its default and range, within 100 columns but for examples',
    (_name, command) => {
      const help = helpText(command.name);
      for (const group of command.groups) {
        for (const option of group.options) {
          const at = help.indexOf(`\n  ${flagOf(option)} `);
          expect(at, flagOf(option)).toBeGreaterThan(0);
          // The option's own lines: up to the next option or heading.
          const line = help.slice(at + 1).split(/\n(?= {2}-|\S)/)[0] ?? '';
          const fallback = option.default ?? option.defaultText;
          if (fallback !== undefined) expect(line).toContain(`default: ${fallback}`);
        }
      }
      const body = help.split('\nExamples:')[0] ?? '';
      expect(body.split('\n').filter((line) => line.length > 100)).toEqual([]);
    },
  );
});
