/** CDK app entry: validated configuration from context, then the stack. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseDeployConfig } from '#infra/config.ts';
import { BackendStack } from '#infra/stack.ts';

const app = new App();
let config;
try {
  config = parseDeployConfig(app.node.getAllContext() as Record<string, unknown>);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
new BackendStack(app, config.stackName, {
  config,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
