// The stack as `cdk synth` builds it from cdk.json's context, with cdk-nag on (an unacknowledged finding
// makes Template.fromStack throw), for the template tests.
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readFileSync } from 'node:fs';
import { parseDeployConfig } from '#infra/config.ts';
import { BackendStack } from '#infra/stack.ts';

/** cdk.json's context. */
export const CDK_JSON = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};
/** The Studio model map the tests deploy with. */
export const MAP = { 'qwen-gdpr': '7b19cae7-0983-4a6b-a03c-a647db48f00b' };

/**
 * The stack, with context overrides. Its functions are not bundled (CDK's `aws:cdk:bundling-stacks` empty):
 * a template test reads the template, and the bundles have tests of their own (test/infra/bundles.test.ts,
 * `npm run synth`), so each synth here skips five esbuild runs and their output.
 */
export function synthStack(overrides: Record<string, unknown> = {}): BackendStack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const config = parseDeployConfig({ ...CDK_JSON.context, studioModels: MAP, ...overrides });
  return new BackendStack(app, 'Test', { config });
}

/** The stack's template, with context overrides. */
export const synth = (overrides: Record<string, unknown> = {}): Template => Template.fromStack(synthStack(overrides));
