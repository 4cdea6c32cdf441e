/**
 * The stack: one Lambda function per entry of the shared FUNCTIONS table and a Regional REST API whose
 * resources and methods come from the shared ROUTES table, so what `npm start` serves is what deploys.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { EndpointType, LambdaIntegration, MethodLoggingLevel, ResponseTransferMode, RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { Construct } from 'constructs';
import { FUNCTIONS, ROUTES, type FunctionName } from '#shared/routes.ts';
import type { DeployConfig } from '#infra/config.ts';
import { BackendFunction } from '#infra/constructs/backend-function.ts';

/** Props of the backend stack. */
export interface BackendStackProps extends StackProps {
  config: DeployConfig;
}

/** The IONOS agent backend. */
export class BackendStack extends Stack {
  readonly api: RestApi;

  constructor(scope: Construct, id: string, props: BackendStackProps) {
    super(scope, id, props);
    const { config } = props;

    // Per-function environment beyond the defaults; the Studio map is configuration, not a secret.
    const environment: Partial<Record<FunctionName, Record<string, string>>> = {
      'studio-models': { STUDIO_MODELS: JSON.stringify(config.studioModels) },
    };
    const functions = new Map<FunctionName, BackendFunction>();
    for (const [name, spec] of Object.entries(FUNCTIONS) as [FunctionName, (typeof FUNCTIONS)[FunctionName]][]) {
      functions.set(name, new BackendFunction(this, pascal(name), { name, spec, logRetentionDays: config.logRetentionDays, environment: environment[name] }));
    }

    this.api = new RestApi(this, 'Api', {
      restApiName: config.stackName,
      description: 'IONOS AI Model Hub agent backend',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      deployOptions: { stageName: config.stageName, tracingEnabled: true, metricsEnabled: true, loggingLevel: MethodLoggingLevel.OFF },
    });
    for (const route of ROUTES) {
      const fn = functions.get(route.function) as BackendFunction;
      const integration = new LambdaIntegration(fn, {
        proxy: true,
        responseTransferMode: FUNCTIONS[route.function].streaming ? ResponseTransferMode.STREAM : ResponseTransferMode.BUFFERED,
      });
      this.api.root.resourceForPath(route.path).addMethod(route.method, integration);
    }
    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the API' });
  }
}

function pascal(name: string): string {
  return name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
}
