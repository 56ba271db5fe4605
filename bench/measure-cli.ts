/**
 * Runs the CLI exactly as `dockershim-audit ...` would, in this process, and reports the
 * process's peak RSS when it ends (on stderr, as the last line: {"maxRssMb": N}).
 */
import { enableCliCompileCache } from '../lambda/compile-cache.ts';

// As bin/dockershim-audit.js does, before the engine is imported.
enableCliCompileCache();
const { main } = await import('../lambda/cli.ts');

const code = await main(process.argv.slice(2), {
  stdout: () => undefined,
  stderr: () => undefined,
  colour: false,
});
process.stderr.write(
  `${JSON.stringify({ exitCode: code, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
);
process.exitCode = code;
