import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { ConfigError } from '../lambda/config/errors.ts';
import { ORIGIN, type ServiceConfigDocument } from './settings.ts';

/** Standard parameters hold 4 KB, advanced ones 8 KB (and cost a little each month). */
const STANDARD_LIMIT = 4096;
const ADVANCED_LIMIT = 8192;

/**
 * The service configuration (clusters, concurrency, notification, policy) as one SSM String
 * parameter, so the function reads the same document it was deployed with and an operator can
 * see it in one place. A String, not a SecureString: it names clusters and ARNs, never secrets.
 */
export class ServiceConfigParameter extends Construct {
  readonly parameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, document: ServiceConfigDocument) {
    super(scope, id);
    const text = JSON.stringify(document);
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > ADVANCED_LIMIT) {
      throw new ConfigError(
        ORIGIN,
        `the service configuration is ${bytes} bytes; an SSM parameter holds at most ${ADVANCED_LIMIT}`,
        'Move long policy exemptions into fewer, broader ones, or split the fleet over two stacks.',
      );
    }
    this.parameter = new ssm.StringParameter(this, 'Parameter', {
      description: 'dockershim-audit service configuration (from cdk.json context)',
      stringValue: text,
      tier: bytes > STANDARD_LIMIT ? ssm.ParameterTier.ADVANCED : ssm.ParameterTier.STANDARD,
    });
  }
}
