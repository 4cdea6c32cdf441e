/**
 * The stack: one Lambda function per entry of the shared FUNCTIONS table, the IONOS credentials secret,
 * the API (routes from the shared ROUTES table, so what `npm start` serves is what deploys), the smoke
 * test and the operations resources.
 */
import { Annotations, CfnOutput, RemovalPolicy, SecretValue, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { FUNCTIONS, ROUTES, type FunctionName } from '#shared/routes.ts';
import { settingsOf } from '#shared/settings.ts';
import { RESERVED_CONCURRENCY, type DeployConfig } from '#infra/config.ts';
import { BackendApi } from '#infra/constructs/api.ts';
import { BackendFunction } from '#infra/constructs/backend-function.ts';
import { acknowledgeFindings } from '#infra/nag.ts';
import { Operations } from '#infra/constructs/operations.ts';
import { SmokeTest } from '#infra/constructs/smoke.ts';
import { RESPONSE_STORE_ACTIONS, THREAD_STORE_ACTIONS, USAGE_TABLE_ACTIONS, UsageTable } from '#infra/constructs/usage-table.ts';

/** Props of the backend stack. */
export interface BackendStackProps extends StackProps {
  config: DeployConfig;
}

/** The IONOS agent backend. */
export class BackendStack extends Stack {
  readonly api: BackendApi;
  readonly secret: ISecret;

  constructor(scope: Construct, id: string, props: BackendStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.secret = this.#secret(config);

    const routed = new Set(ROUTES.map((r) => r.function));
    const reserved = new Map<FunctionName, number>(RESERVED_CONCURRENCY.map((r) => [r.function, config[r.key]]));
    const functions = new Map<FunctionName, BackendFunction>();
    for (const [name, spec] of Object.entries(FUNCTIONS) as [FunctionName, (typeof FUNCTIONS)[FunctionName]][]) {
      const fn = new BackendFunction(this, pascal(name), {
        name,
        spec,
        logRetentionDays: config.logRetentionDays,
        reservedConcurrency: reserved.get(name),
      });
      if (spec.readsSecret) fn.bindIonosSecret(this.secret);
      if (routed.has(name)) fn.bindAllowedOrigins(config.allowedOrigins).bindStudioModels(config.studioModels);
      functions.set(name, fn);
    }
    // Each function gets the runtime settings the deployer set that it reads (shared/settings.ts), and no other.
    for (const [name, fn] of functions) {
      for (const setting of settingsOf(name)) {
        const value = config.settings[setting.name];
        if (value !== undefined) fn.addEnvironment(setting.name, value);
      }
    }
    warnOfLocalOrigins(this, config.allowedOrigins);

    this.api = new BackendApi(this, 'Http', { config, functions });
    const usage = new UsageTable(this, 'Usage', { config, consumerKeys: this.api.consumerKeys });
    usage.bind(functions.get('agent') as BackendFunction, [...USAGE_TABLE_ACTIONS, ...THREAD_STORE_ACTIONS]);
    usage.bind(functions.get('hub-proxy') as BackendFunction, USAGE_TABLE_ACTIONS);
    usage.bind(functions.get('responses') as BackendFunction, [...USAGE_TABLE_ACTIONS, ...RESPONSE_STORE_ACTIONS]);
    const smokeFn = functions.get('smoke-test') as BackendFunction;
    new SmokeTest(this, 'Smoke', { config, api: this.api, fn: smokeFn });
    new Operations(this, 'Operations', { config, api: this.api, functions });
    acknowledgeFindings(this, smokeFn);

    new CfnOutput(this, 'ApiUrl', { value: this.api.api.url, description: 'Base URL of the API (OpenAI SDKs: append v1)' });
    new CfnOutput(this, 'IonosSecretArn', { value: this.secret.secretArn, description: 'Secret with the IONOS credentials' });
    if (config.ionosSecret === '') {
      // The value is read from a file, so the token never appears on a command line (shell history, ps).
      new CfnOutput(this, 'FillTheSecret', {
        value: `aws secretsmanager put-secret-value --secret-id ${this.secret.secretArn} --secret-string file://ionos-credentials.json`,
        description:
          'The stack created an empty credentials secret (until filled, IONOS routes answer 503). Write {"ionosApiToken":"...","studioApiKey":"...","studioOrgId":"...","tavilyApiKey":"..."} (only ionosApiToken required) to ionos-credentials.json, readable only by you, run this command, then delete the file',
      });
    }
    for (const name of Object.keys(config.consumers)) {
      new CfnOutput(this, `ApiKey${pascal(name)}`, {
        value: `aws apigateway get-api-keys --name-query ${this.api.api.restApiName}-${name} --include-values --query 'items[0].value' --output text`,
        description: `How to read the API key of consumer "${name}"`,
      });
    }
  }

  /** The configured secret (by complete ARN or by name), or a new, empty one. */
  #secret(config: DeployConfig): ISecret {
    if (config.ionosSecret.startsWith('arn:')) return Secret.fromSecretCompleteArn(this, 'IonosCredentials', config.ionosSecret);
    if (config.ionosSecret !== '') return Secret.fromSecretNameV2(this, 'IonosCredentials', config.ionosSecret);
    const secret = new Secret(this, 'IonosCredentials', {
      description: 'IONOS credentials: {"ionosApiToken","studioApiKey","studioOrgId","tavilyApiKey"} (only ionosApiToken required)',
      // A placeholder, not a credential: the functions answer 503 until the real token is put in.
      secretStringValue: SecretValue.unsafePlainText('{}'),
      // Deleting the stack must not delete the IONOS credentials with it; the operator removes them on purpose.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason:
        'IONOS tokens are issued and rotated in the IONOS console; the operator puts the new value in this secret, and the functions pick it up after an upstream 401 without a redeploy.',
    });
    return secret;
  }
}

const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/;

/**
 * Says at synth (and deploy) when the allowed origins include loopback ones: right for development, but in
 * production any page a user opens on their own machine could then call the API from the browser.
 */
function warnOfLocalOrigins(stack: Stack, origins: readonly string[]): void {
  const local = origins.filter((o) => LOOPBACK_ORIGIN.test(o));
  if (local.length === 0) return;
  Annotations.of(stack).addWarningV2(
    'ionos-backend:localOrigins',
    `allowedOrigins includes ${local.join(', ')}: fine for development, but a production API should allow only its real frontends. Deploy with -c allowedOrigins='["https://app.example.com"]'.`,
  );
}

function pascal(name: string): string {
  return name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
}
