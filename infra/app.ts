/** CDK app entry: validated configuration from context, then the stack. */
import { App } from 'aws-cdk-lib';
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
app.synth();
