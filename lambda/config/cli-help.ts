import {
  COMMANDS,
  type CommandDeclaration,
  type CommandName,
  ENVIRONMENT,
  EXIT_CODE_MEANINGS,
  ExitCode,
  type ExitCodeName,
  type OptionDeclaration,
} from './cli-spec.ts';

/**
 * The command line's declarations (cli-spec.ts) rendered: `--help` for the terminal, and the
 * Markdown of docs/cli.md and README (npm run docs). Nothing here says what an option does;
 * it only lays out what the declarations say.
 */

const PROGRAM = 'dockershim-audit';
const WIDTH = 100;
/** Where an option's description starts in --help. */
const COLUMN = 24;

export type HelpTopic = CommandName | 'main';

export function isHelpTopic(topic: string): topic is HelpTopic {
  return topic === 'main' || COMMANDS.some((command) => command.name === topic);
}

export function helpText(topic: HelpTopic = 'main'): string {
  if (topic === 'main') return mainHelp();
  const command = COMMANDS.find((candidate) => candidate.name === topic) as CommandDeclaration;
  return commandHelp(command);
}

function mainHelp(): string {
  const entries = [
    ...COMMANDS.map((command) => [`${PROGRAM} ${command.usage}`, command.summary] as const),
    [`${PROGRAM} help [command]`, 'help for a command'] as const,
    [`${PROGRAM} --version`, ''] as const,
  ];
  const width = Math.max(...entries.map(([usage]) => usage.length)) + 3;
  const codes = (Object.keys(ExitCode) as ExitCodeName[]).map(
    (name) => `${ExitCode[name]} ${EXIT_CODE_MEANINGS[name].short}`,
  );
  return [
    `${PROGRAM}: find what in your Kubernetes clusters still depends on Docker Engine.`,
    '',
    'Usage:',
    ...entries.map(([usage, summary]) => `  ${summary ? usage.padEnd(width) + summary : usage}`),
    '',
    wrap(
      `Run "${PROGRAM} <command> --help" for a command's options. Exit codes: ${codes.join(', ')}.`,
      WIDTH,
    ),
  ].join('\n');
}

function commandHelp(command: CommandDeclaration): string {
  const lines = [`Usage: ${PROGRAM} ${command.usage}`];
  for (const paragraph of command.about ?? []) lines.push('', wrap(paragraph, WIDTH));
  for (const group of command.groups) {
    lines.push('', `${group.title}:`);
    if (group.note) lines.push(wrap(group.note, WIDTH, '  '));
    for (const option of group.options) lines.push(optionLine(option));
  }
  if (command.environment?.length) {
    lines.push('', 'Environment:');
    for (const variable of command.environment) lines.push(twoColumns(variable.name, variable.help));
  }
  lines.push('', wrap(`Exit codes: ${exitList(command)}.`, WIDTH));
  if (command.examples?.length) lines.push('', 'Examples:', ...command.examples.map((line) => `  ${line}`));
  return lines.join('\n');
}

function exitList(command: CommandDeclaration): string {
  return (Object.entries(command.exits) as Array<[ExitCodeName, string]>)
    .map(([name, meaning]) => `${ExitCode[name]} ${meaning}`)
    .join(', ');
}

/** `--cluster-timeout S`, `-q, --quiet`. */
export function flagOf(option: OptionDeclaration): string {
  const long = `--${option.name}${option.value ? ` ${option.value}` : ''}`;
  return option.short ? `-${option.short}, ${long}` : long;
}

/** `default: 600; 1 to 86400`: what help adds after an option's words. */
function defaultAndRange(option: OptionDeclaration): string | undefined {
  const parts = [];
  const fallback = option.default ?? option.defaultText;
  if (fallback !== undefined) parts.push(`default: ${fallback}`);
  if (option.range) parts.push(`${option.range.min} to ${option.range.max}`);
  return parts.length > 0 ? parts.join('; ') : undefined;
}

function optionLine(option: OptionDeclaration): string {
  const extra = defaultAndRange(option);
  return twoColumns(flagOf(option), extra ? `${option.help} (${extra})` : option.help);
}

function twoColumns(left: string, right: string): string {
  const indent = ' '.repeat(COLUMN);
  const head = `  ${left}`;
  const body = wrap(right, WIDTH - COLUMN).split('\n');
  const first = head.length < COLUMN - 1 ? head.padEnd(COLUMN) + body[0] : `${head}\n${indent}${body[0]}`;
  return [first, ...body.slice(1).map((line) => indent + line)].join('\n');
}

/** Words wrapped at `width` columns, each line after `indent`. */
function wrap(text: string, width: number, indent = ''): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines.join('\n');
}

// ---- Markdown (docs/cli.md, README) ----

/** A Markdown table cell: a pipe would end it. */
const cell = (text: string) => text.replace(/\|/g, '\\|');
const code = (text: string | number) => `\`${String(text).replace(/\|/g, '\\|')}\``;

/** The commands and what they do, as README and docs/cli.md list them. */
export function commandListMarkdown(): string {
  return [
    '```',
    ...helpText('main')
      .split('\n')
      .filter((line) => line.startsWith(`  ${PROGRAM}`))
      .map((line) => line.slice(2)),
    '```',
  ].join('\n');
}

/** Every exit code and what it means (README, docs/cli.md). */
export function exitCodesMarkdown(): string {
  return [
    '| code | meaning |',
    '|---|---|',
    ...(Object.keys(ExitCode) as ExitCodeName[]).map(
      (name) => `| ${ExitCode[name]} | ${cell(EXIT_CODE_MEANINGS[name].meaning)} |`,
    ),
  ].join('\n');
}

/** Each command: usage, what it does, its options by group, environment, exit codes. */
export function commandsReferenceMarkdown(): string {
  return COMMANDS.map(commandMarkdown).join('\n\n');
}

function commandMarkdown(command: CommandDeclaration): string {
  const parts = [`### ${command.name}`, ['```', `${PROGRAM} ${command.usage}`, '```'].join('\n')];
  parts.push(...(command.about ?? []));
  for (const group of command.groups) {
    parts.push(
      [
        `**${group.title}**${group.note ? `. ${group.note}` : ''}`,
        '',
        '| option | default | meaning |',
        '|---|---|---|',
        ...group.options.map(
          (option) =>
            `| ${code(flagOf(option))} | ${defaultCell(option)} | ${cell(sentence(option.help))}${option.more ? ` ${option.more}` : ''} |`,
        ),
      ].join('\n'),
    );
  }
  if (command.environment?.length) parts.push(`**Environment**\n\n${environmentTable(command.environment)}`);
  parts.push(
    [
      '**Exit codes**',
      '',
      '| code | meaning |',
      '|---|---|',
      ...(Object.entries(command.exits) as Array<[ExitCodeName, string]>).map(
        ([name, meaning]) => `| ${ExitCode[name]} | ${cell(meaning)} |`,
      ),
    ].join('\n'),
  );
  if (command.examples?.length)
    parts.push(['**Examples**', '', '```sh', ...command.examples, '```'].join('\n'));
  return parts.join('\n\n');
}

/** Help's words as a sentence, so that docs can add another after it. */
function sentence(text: string): string {
  return /[.)]$/.test(text) ? text : `${text}.`;
}

function defaultCell(option: OptionDeclaration): string {
  const value = option.default !== undefined ? code(option.default) : cell(option.defaultText ?? '');
  return option.range ? `${value} (${option.range.min} to ${option.range.max})`.trim() : value;
}

function environmentTable(variables: readonly { name: string; help: string }[]): string {
  return [
    '| variable | meaning |',
    '|---|---|',
    ...variables.map((variable) => `| ${code(variable.name)} | ${cell(variable.help)} |`),
  ].join('\n');
}

/** The variables every command reads (docs/cli.md). */
export function environmentMarkdown(): string {
  return environmentTable(ENVIRONMENT);
}
