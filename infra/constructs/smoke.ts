/**
 * The scheduled smoke test: EventBridge Scheduler invokes the smoke function every few minutes (retries,
 * dead-letter queue); it calls the deployed API over HTTPS with a dedicated consumer key. The key's value
 * is generated into a secret and reaches the template only as a dynamic reference, never in clear.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DeployConfig } from '#infra/config.ts';
import type { BackendApi } from '#infra/constructs/api.ts';
import type { BackendFunction } from '#infra/constructs/backend-function.ts';

/** Props of the smoke test. */
export interface SmokeTestProps {
  config: DeployConfig;
  api: BackendApi;
  fn: BackendFunction;
}

/** Schedule, target, key and dead-letter queue of the smoke test. */
export class SmokeTest extends Construct {
  readonly schedule: Schedule;
  readonly deadLetters: Queue;
  readonly keySecret: Secret;

  constructor(scope: Construct, id: string, { config, api, fn }: SmokeTestProps) {
    super(scope, id);
    this.keySecret = new Secret(this, 'Key', {
      description: 'API key of the smoke-test consumer (read by the smoke-test function at run time)',
      generateSecretString: { passwordLength: 40, excludePunctuation: true, includeSpace: false },
    });
    Validations.of(this.keySecret).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason:
        'The value is also the API Gateway key of the smoke consumer; rotating the secret alone would break the smoke test. Rotate by redeploying.',
    });
    // A small plan of its own, so smoke runs never eat a real consumer's quota.
    api.addConsumer('smoke', { rateLimit: 1, burstLimit: 4, dailyQuota: 2_000 }, this.keySecret.secretValue.unsafeUnwrap());

    this.keySecret.grantRead(fn);
    fn.addEnvironment('API_URL', api.api.url);
    fn.addEnvironment('SMOKE_KEY_SECRET_ARN', this.keySecret.secretArn);
    fn.addEnvironment('SMOKE_MODEL', config.smokeModel);

    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the smoke schedule.',
    });
    this.schedule = new Schedule(this, 'Schedule', {
      description: 'Smoke test of every route of the deployed API',
      schedule: ScheduleExpression.rate(Duration.minutes(config.smokeIntervalMinutes)),
      target: new LambdaInvoke(fn, {
        retryAttempts: config.smokeRetryAttempts,
        maxEventAge: Duration.minutes(Math.max(1, Math.min(config.smokeIntervalMinutes, 60))),
        deadLetterQueue: this.deadLetters,
      }),
    });
  }
}
