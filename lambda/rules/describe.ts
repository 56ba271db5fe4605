import type { Rule } from './rule.ts';

/** The rule catalog as people read it: in the terminal, in README (generated), as JSON for tools. */
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

export function rulesAsMarkdown(rules: readonly Rule[]): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const rows = rules.map(
    (rule) =>
      `| ${rule.id} | ${rule.severity} | ${cell(rule.title)} | ${cell(rule.rationale)} | ${cell(rule.remediation)} |`,
  );
  return ['| Id | Severity | Rule | Why | What to do |', '|---|---|---|---|---|', ...rows].join('\n');
}
