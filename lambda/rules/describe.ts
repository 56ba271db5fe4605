import type { Rule } from './rule.ts';
import { SEVERITIES_DESCENDING, SEVERITY_MEANINGS } from './severity.ts';

/** The rule catalog as people read it: in the terminal, in README and docs/rules.md (generated), as JSON for tools. */
export function rulesAsText(rules: readonly Rule[]): string {
  return rules.map((rule) => `${rule.id}  ${rule.severity.padEnd(8)}  ${rule.title}`).join('\n');
}

export function rulesAsJson(rules: readonly Rule[]): string {
  const entries = rules.map(({ id, title, severity, target, rationale, remediation, references }) => ({
    id,
    title,
    severity,
    target,
    rationale,
    remediation,
    references,
  }));
  return JSON.stringify(entries, null, 2);
}

/** A Markdown table cell: a pipe would end it. */
const cell = (text: string) => text.replace(/\|/g, '\\|');

export function rulesAsMarkdown(rules: readonly Rule[]): string {
  const rows = rules.map(
    (rule) =>
      `| ${rule.id} | ${rule.severity} | ${cell(rule.title)} | ${cell(rule.rationale)} | ${cell(rule.remediation)} |`,
  );
  return ['| Id | Severity | Rule | Why | What to do |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** Id, severity and title: the short list README shows. */
export function ruleListAsMarkdown(rules: readonly Rule[]): string {
  const rows = rules.map((rule) => `| ${rule.id} | ${rule.severity} | ${cell(rule.title)} |`);
  return ['| Id | Severity | Rule |', '|---|---|---|', ...rows].join('\n');
}

/** What each severity means, highest first (README, docs/rules.md). */
export function severitiesAsMarkdown(): string {
  const rows = SEVERITIES_DESCENDING.map(
    (severity) => `| ${severity} | ${cell(SEVERITY_MEANINGS[severity].meaning)} |`,
  );
  return ['| Severity | Meaning |', '|---|---|', ...rows].join('\n');
}
