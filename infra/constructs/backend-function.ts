/**
 * The one Lambda function construct: Node 24 on arm64, an ESM bundle built locally by
 * infra/bundling/bundle.ts (esbuild, no Docker), minified with source maps beside it (not loaded at run
 * time), X-Ray tracing, its own log group with retention, and Powertools settings. Function specifics come
 * from the shared route table's FUNCTIONS entry.
 */
import { AssetHashType, DockerImage, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { METRICS_NAMESPACE } from '#shared/metrics.ts';
import type { StudioModelMap } from '#shared/models/studio-map.ts';
import type { FunctionName, FunctionSpec } from '#shared/routes.ts';

/** Props of one backend function. */
export interface BackendFunctionProps {
  name: FunctionName;
  spec: FunctionSpec;
  logRetentionDays: number;
  environment?: Record<string, string>;
  /** Reserved concurrency: a cap on concurrent executions (and a share of the account kept for it). */
  reservedConcurrency?: number;
}

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

/**
 * The function's code: `functions/<name>.ts` bundled by infra/bundling/bundle.ts, which the bench and the
 * bundle tests use too (CDK's `NodejsFunction` runs esbuild without plugins, and the bundles need one). The
 * bundling runs locally, as a script, because CDK's local bundling is synchronous.
 */
function bundledCode(name: FunctionName): Code {
  return Code.fromAsset(root(''), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // The same step in a container, for CDK's Docker path, which is never taken (local bundling succeeds
      // or fails the synth); the command also keys CDK's bundling cache, which leaves `tryBundle` out.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24'),
      command: ['node', '/asset-input/infra/bundling/bundle.ts', `/asset-input/functions/${name}.ts`, '/asset-output'],
      local: {
        tryBundle(outputDir: string): boolean {
          execFileSync(process.execPath, [root('infra/bundling/bundle.ts'), root(`functions/${name}.ts`), outputDir], { stdio: 'inherit' });
          return true;
        },
      },
    },
  });
}

/** A backend Lambda function built from `functions/<name>.ts`. */
export class BackendFunction extends LambdaFunction {
  constructor(scope: Construct, id: string, props: BackendFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Its own role, allowed to write its own log group only (not the managed policy's logs on `*`).
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.name} function`,
    });
    logGroup.grantWrite(role);
    super(scope, id, {
      code: bundledCode(props.name),
      handler: 'index.handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.spec.memoryMb,
      timeout: Duration.seconds(props.spec.timeoutSeconds),
      description: props.spec.description,
      tracing: Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrency,
      logGroup,
      role,
      environment: {
        // No NODE_OPTIONS=--enable-source-maps: Node would decode the map at every cold start, which the agent
        // pays for in billed INIT time (see the bundle test's INIT figures). The maps ship beside the bundles,
        // so a minified stack trace from the logs can still be mapped back offline.
        POWERTOOLS_SERVICE_NAME: props.name,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...props.environment,
      },
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing (xray:PutTraceSegments, xray:PutTelemetryRecords) supports no resource-level permissions.',
    });
  }

  /** Lets the function read the IONOS credentials secret (that secret only) and tells it where it is. */
  bindIonosSecret(secret: ISecret): this {
    secret.grantRead(this);
    this.addEnvironment('IONOS_SECRET_ID', secret.secretArn);
    return this;
  }

  /** The fine-tuned Studio models this API offers (listed, and the only UUIDs sent to Studio). */
  bindStudioModels(models: StudioModelMap): this {
    this.addEnvironment('STUDIO_MODELS', JSON.stringify(models));
    return this;
  }

  /** Origins whose browser requests get CORS headers. */
  bindAllowedOrigins(origins: readonly string[]): this {
    this.addEnvironment('ALLOWED_ORIGINS', origins.join(','));
    return this;
  }
}
