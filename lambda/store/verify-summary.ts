import { printable } from '../text.ts';
import type { VerifyProblem, VerifyResult } from './verify.ts';

const PROBLEM_LABELS: Record<VerifyProblem['kind'], string> = {
  changed: 'CHANGED',
  removed: 'REMOVED',
  added: 'ADDED',
  unreadable: 'UNREADABLE',
  unchained: 'UNCHAINED',
};

/** What `verify` prints: runs checked on stdout, problems on stderr. */
export function formatVerifyResult(
  result: VerifyResult,
  options: { quiet: boolean },
): { out: string[]; err: string[]; intact: boolean } {
  const out: string[] = [];
  const err: string[] = [];
  const intact = result.problems.length === 0;
  if (!options.quiet) {
    out.push(`Verifying ${printable(result.location)}`);
    for (const run of result.runs)
      out.push(
        `  ${run.intact ? 'ok ' : 'BAD'}  ${printable(run.runId)}  ${run.artifacts} artifacts${run.generatedAt ? `  ${printable(run.generatedAt)}` : ''}`,
      );
    if (result.publishing)
      out.push(
        `  note: run ${printable(result.publishing)} is being published now; it is not checked this time`,
      );
  }
  for (const problem of result.problems)
    err.push(
      `${PROBLEM_LABELS[problem.kind].padEnd(10)} ${printable(problem.key)}: ${printable(problem.detail)}`,
    );
  const runs = `${result.runs.length} ${result.runs.length === 1 ? 'run' : 'runs'}`;
  if (intact) {
    if (!options.quiet) out.push(`Chain of ${runs}: every artifact matches its manifest.`);
  } else {
    err.push(
      `Chain of ${runs}: ${result.problems.length} ${result.problems.length === 1 ? 'problem' : 'problems'}. The evidence is not whole: each line above says what and why.`,
    );
  }
  return { out, err, intact };
}
