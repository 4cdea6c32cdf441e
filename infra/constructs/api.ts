/**
 * The REST API: routes and integrations from the shared route table (STREAM transfer mode for streaming
 * functions), every method behind the key authorizer (Bearer; Bearer or x-api-key on the LangGraph API) and a usage-plan key, IONOS-contract method
 * throttling, CORS, JSON access logs, and gateway responses in the API's error envelope.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  ApiKeySourceType,
  type IApiKey,
  AuthorizationType,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  Period,
  ResponseTransferMode,
  ResponseType,
  RestApi,
  RequestAuthorizer,
  TokenAuthorizer,
  type MethodOptions,
} from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { API_KEY_PATTERN } from '#shared/http/api-key.ts';
import { CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS } from '#shared/http/cors.ts';
import { GATEWAY_ERRORS } from '#shared/http/gateway-errors.ts';
import { BINARY_MEDIA_TYPES } from '#shared/http/multipart.ts';
import { IMAGE_PATHS } from '#shared/ionos/upstreams.ts';
import { FUNCTIONS, ROUTES, type FunctionName, type KeySource } from '#shared/routes.ts';
import { deployedNumber, type Consumer, type DeployConfig } from '#infra/config.ts';
import type { BackendFunction } from '#infra/constructs/backend-function.ts';

/** Props of the API. */
export interface BackendApiProps {
  config: DeployConfig;
  functions: ReadonlyMap<FunctionName, BackendFunction>;
}

/** The API, its stage, access logs and usage plans. */
export class BackendApi extends Construct {
  readonly api: RestApi;
  readonly accessLogs: LogGroup;
  /** The API key of each consumer of CDK context `consumers`, by name. */
  readonly consumerKeys = new Map<string, IApiKey>();

  constructor(scope: Construct, id: string, props: BackendApiProps) {
    super(scope, id);
    const { config, functions } = props;
    const fn = (name: FunctionName) => functions.get(name) as BackendFunction;

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: config.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new RestApi(this, 'Api', {
      restApiName: config.stackName,
      description: 'IONOS AI Model Hub agent backend',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      // Image edits are multipart: passed to the function base64-encoded, not as (mangled) UTF-8 text.
      binaryMediaTypes: [...BINARY_MEDIA_TYPES],
      apiKeySourceType: ApiKeySourceType.AUTHORIZER,
      cloudWatchRole: false,
      defaultCorsPreflightOptions: {
        allowOrigins: config.allowedOrigins,
        allowHeaders: CORS_ALLOW_HEADERS,
        allowMethods: CORS_ALLOW_METHODS,
        maxAge: Duration.minutes(10),
      },
      deployOptions: {
        stageName: config.stageName,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: MethodLoggingLevel.OFF,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        // The standard fields plus who called: the usage-plan key's id and the authorizer's principal (the
        // key's fingerprint), so every line can be attributed to a consumer without logging a key.
        accessLogFormat: AccessLogFormat.custom(
          JSON.stringify({
            requestId: AccessLogField.contextRequestId(),
            ip: AccessLogField.contextIdentitySourceIp(),
            requestTime: AccessLogField.contextRequestTime(),
            httpMethod: AccessLogField.contextHttpMethod(),
            resourcePath: AccessLogField.contextResourcePath(),
            status: AccessLogField.contextStatus(),
            protocol: AccessLogField.contextProtocol(),
            responseLength: AccessLogField.contextResponseLength(),
            apiKeyId: AccessLogField.contextIdentityApiKeyId(),
            principal: AccessLogField.contextAuthorizerPrincipalId(),
          }),
        ),
        methodOptions: this.#throttles(config),
      },
    });

    const authorizer = new TokenAuthorizer(this, 'BearerKey', {
      handler: fn('authorizer'),
      identitySource: 'method.request.header.Authorization',
      validationRegex: `^Bearer ${API_KEY_PATTERN}$`,
      resultsCacheTtl: Duration.minutes(5),
    });
    // The LangGraph API's clients send the key as x-api-key, OpenAI's as a Bearer token: a REQUEST authorizer
    // reads either. It cannot be cached, since API Gateway caches only by identity sources that every request
    // must carry (a request without one of them would be refused before the authorizer ran); it costs an
    // authorizer invocation per LangGraph request, small beside a run's model calls.
    const eitherKey = new RequestAuthorizer(this, 'BearerOrHeaderKey', {
      handler: fn('authorizer'),
      identitySources: [],
      resultsCacheTtl: Duration.seconds(0),
    });
    const protectedMethod = (keys: KeySource): MethodOptions => ({
      authorizer: keys === 'bearer' ? authorizer : eitherKey,
      authorizationType: AuthorizationType.CUSTOM,
      apiKeyRequired: true,
    });
    for (const route of ROUTES) {
      const integration = new LambdaIntegration(fn(route.function), {
        proxy: true,
        responseTransferMode: FUNCTIONS[route.function].streaming ? ResponseTransferMode.STREAM : ResponseTransferMode.BUFFERED,
        timeout: FUNCTIONS[route.function].streaming ? Duration.seconds(FUNCTIONS[route.function].timeoutSeconds) : undefined,
      });
      this.api.root.resourceForPath(route.path).addMethod(route.method, integration, protectedMethod(route.keys ?? 'bearer'));
    }

    // Gateway responses cannot choose a header by the request's origin, and echoing any Origin would undo
    // the allowlist: with one allowed origin it is named; with several, browsers get no CORS header on these
    // answers (the functions' own answers still carry it for every allowed origin).
    const [onlyOrigin] = config.allowedOrigins.length === 1 ? config.allowedOrigins : [];
    for (const [type, error] of Object.entries(GATEWAY_ERRORS)) {
      const headers: Record<string, string> = { 'Content-Type': "'application/json'" };
      if (onlyOrigin !== undefined) headers['Access-Control-Allow-Origin'] = `'${onlyOrigin}'`;
      for (const [name, value] of Object.entries(error.headers ?? {})) headers[name] = `'${value}'`;
      this.api.addGatewayResponse(`Gateway${type}`, {
        type: (ResponseType as unknown as Record<string, ResponseType>)[type] as ResponseType,
        statusCode: String(error.status),
        responseHeaders: headers,
        templates: { 'application/json': JSON.stringify(error.body) },
      });
    }

    for (const [name, consumer] of Object.entries(config.consumers)) this.consumerKeys.set(name, this.addConsumer(name, consumer));

    const accepted: [string, string][] = [
      [
        'AwsSolutions::AwsSolutions-APIG2',
        'Every function validates its request with a schema and answers 400/413 naming the field; a gateway model would duplicate that with vaguer messages and cannot see streamed proxy bodies.',
      ],
      [
        'AwsSolutions::AwsSolutions-APIG3',
        'Abuse is bounded by API keys, per-consumer usage plans and contract-wide method throttling; a WAF web ACL can be attached to the stage where an organisation requires one.',
      ],
      [
        'AwsSolutions::AwsSolutions-APIG6',
        'JSON access logs are on; execution logging is off on purpose, since it would write request and response bodies (prompts and completions) to CloudWatch.',
      ],
      [
        'AwsSolutions::AwsSolutions-COG4',
        'Clients authenticate with usage-plan API keys through the Bearer-key Lambda authorizer, as OpenAI SDKs do; there are no Cognito users.',
      ],
    ];
    for (const [findingId, reason] of accepted) Validations.of(this).acknowledge({ id: findingId, reason });
  }

  /** A usage plan with its own generated API key. */
  addConsumer(name: string, consumer: Consumer, keyValue?: string) {
    const key = this.api.addApiKey(`Key-${name}`, { apiKeyName: `${this.api.restApiName}-${name}`, value: keyValue });
    const plan = this.api.addUsagePlan(`Plan-${name}`, {
      name: `${this.api.restApiName}-${name}`,
      throttle: { rateLimit: consumer.rateLimit, burstLimit: consumer.burstLimit },
      quota: { limit: consumer.dailyQuota, period: Period.DAY },
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });
    plan.addApiKey(key);
    return key;
  }

  /** Method throttling from the IONOS contract, so all consumers together stay inside it. */
  #throttles(config: DeployConfig): Record<string, { throttlingRateLimit: number; throttlingBurstLimit: number }> {
    const throttles: Record<string, { throttlingRateLimit: number; throttlingBurstLimit: number }> = {};
    for (const route of ROUTES) {
      if (!FUNCTIONS[route.function].callsIonos) continue;
      const images = IMAGE_PATHS.has(route.path);
      // A contract limit of 0 is one that is not held (shared/settings.ts): no method throttling for it.
      if (deployedNumber(config, images ? 'IONOS_IMAGES_PER_MINUTE' : 'IONOS_REQUESTS_PER_SECOND') === 0) continue;
      throttles[`${route.path}/${route.method === 'ANY' ? '*' : route.method}`] = images
        ? { throttlingRateLimit: deployedNumber(config, 'IONOS_IMAGES_PER_MINUTE') / 60, throttlingBurstLimit: 2 }
        : {
            throttlingRateLimit: deployedNumber(config, 'IONOS_REQUESTS_PER_SECOND'),
            throttlingBurstLimit: deployedNumber(config, 'IONOS_REQUESTS_BURST'),
          };
    }
    return throttles;
  }
}
