/**
 * cdk-nag (AwsSolutions) acknowledgements that concern the stack as a whole, each with its reason. The
 * others sit on the construct they concern. Anything not acknowledged fails the synth and the tests.
 */
import { Validations, type Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { BackendFunction } from '#infra/constructs/backend-function.ts';

/** Applies the stack-wide acknowledgements. */
export function acknowledgeFindings(stack: Stack, smokeFn: BackendFunction): void {
  // CDK creates the scheduler's target role at stack level, while binding, so it is acknowledged here.
  const fnId = stack.getLogicalId(smokeFn.node.defaultChild as CfnFunction);
  Validations.of(stack).acknowledge({
    id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${fnId}.Arn>:*]`,
    reason: "EventBridge Scheduler may invoke only the smoke-test function; the `:*` suffix covers that function's versions and aliases.",
  });
}
