import { Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/**
 * The webhook's URL and signing key, as the handler reads them: `{"url": ..., "signingSecret": ...}`.
 * Created with a random signing key and no URL, so nothing is posted until an operator puts
 * the URL (docs/deploy-and-configuration.md, "Deploy"); a deploy never overwrites what the operator put.
 */
export class WebhookSecret extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description:
        'dockershim-audit webhook: {"url": "https://...", "signingSecret": "..."}; put the url after deploy',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({}),
        generateStringKey: 'signingSecret',
        excludePunctuation: true,
        passwordLength: 64,
      },
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The webhook URL is issued by the chat service (Slack, Teams) and the signing key is shared with the receiver; neither can be rotated by a Lambda without the other side changing too.',
    });
  }
}
