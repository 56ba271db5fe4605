import { fileURLToPath } from 'node:url';
import { App, type AppProps, type Environment, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../lambda/config/errors.ts';
import { AuditStack } from './audit-stack.ts';
import { ORIGIN, readSettings, unknownContextKeys } from './settings.ts';

/** The repository root: infra/.. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface BuildOptions {
  /** Context, output directory... as `new App()` takes them; the CLI passes its own through the environment. */
  app?: AppProps;
  /** The account and region to deploy to; without them the stack is environment-agnostic. */
  env?: Environment;
  /** The handler, relative to the repository root. @default lambda/handler.ts */
  entry?: string;
}

export interface BuiltApp {
  app: App;
  stack: AuditStack;
}

/**
 * The app as `cdk synth` builds it, for infra/app.ts and the tests alike: settings from
 * context, the stack, and cdk-nag's AwsSolutions checks over all of it.
 */
export function buildApp(options: BuildOptions = {}): BuiltApp {
  const app = new App(options.app);
  const unknown = unknownContextKeys(Object.keys(app.node.getAllContext()));
  if (unknown.length > 0) {
    throw new ConfigError(
      ORIGIN,
      `unknown setting ${unknown.join(', ')}`,
      'docs/deploy-and-configuration.md, "Configuration reference", lists the settings.',
    );
  }
  const settings = readSettings((key) => app.node.tryGetContext(key));
  const stack = new AuditStack(app, settings.stackName, {
    settings,
    projectRoot: PROJECT_ROOT,
    ...(options.entry === undefined ? {} : { entry: options.entry }),
    ...(options.env === undefined ? {} : { env: options.env }),
    description: 'dockershim-audit: scheduled audit of Kubernetes clusters for Docker Engine dependencies',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
