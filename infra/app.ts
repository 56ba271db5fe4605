import { AuditError } from '../lambda/errors.ts';
import { buildApp } from './build-app.ts';

// `npx cdk synth` runs this file (cdk.json: "node infra/app.ts"); the CLI synthesizes the app
// when the process ends. A bad setting stops here with its message and hint, not a stack trace.
try {
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  // The CLI sets these when it finds credentials; offline, the stack stays environment-agnostic.
  buildApp(account && region ? { env: { account, region } } : {});
} catch (error) {
  if (!(error instanceof AuditError)) throw error;
  console.error(`dockershim-audit: ${error.message}`);
  if (error.hint) console.error(`  ${error.hint}`);
  process.exitCode = 1;
}
