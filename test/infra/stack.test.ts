// The synthesized template, with cdk-nag on (an unacknowledged finding makes Template.fromStack throw).
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_SETTINGS, parseDeployConfig } from '#infra/config.ts';
import { deployKey } from '#shared/settings.ts';
import { CDK_JSON, MAP, synth, synthStack } from '#test/helpers/synth-stack.ts';
import { GATEWAY_ERRORS } from '#shared/http/gateway-errors.ts';
import { FUNCTIONS, ROUTES, type FunctionName } from '#shared/routes.ts';

type Resource = { Properties: Record<string, unknown> };
const resources = (t: Template, type: string) => Object.entries(t.findResources(type)) as [string, Resource][];
let template: Template;

beforeAll(() => {
  template = synth();
});

describe('functions', () => {
  it('runs every function on Node 24, arm64, ESM, traced, with its own role and no managed policies', () => {
    const functions = resources(template, 'AWS::Lambda::Function');
    expect(functions).toHaveLength(Object.keys(FUNCTIONS).length);
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
      });
      expect(fn.Properties).toMatchObject({
        Environment: { Variables: { POWERTOOLS_SERVICE_NAME: expect.any(String), POWERTOOLS_METRICS_NAMESPACE: 'IonosAgentBackend' } },
      });
    }
    for (const [, role] of resources(template, 'AWS::IAM::Role')) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('gives each function the timeout and memory of the route table', () => {
    for (const spec of Object.values(FUNCTIONS)) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        MemorySize: spec.memoryMb,
        Timeout: spec.timeoutSeconds,
        Description: spec.description,
      });
    }
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { STUDIO_MODELS: JSON.stringify(MAP) } } });
  });
});

describe('secret and IAM', () => {
  it('lets only the functions that call IONOS read the credentials secret, and only that secret', () => {
    const [[secretId]] = resources(template, 'AWS::SecretsManager::Secret').filter(([id]) => id.startsWith('IonosCredentials')) as [
      [string, Resource],
    ];
    const readers: string[] = [];
    for (const [id, policy] of resources(template, 'AWS::IAM::Policy')) {
      const statements = (policy.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement;
      for (const s of statements) {
        const actions = ([] as string[]).concat(s.Action);
        if (s.Resource === '*') expect(actions.every((a) => a.startsWith('xray:'))).toBe(true); // no `*` where a specific resource exists
        if (actions.includes('secretsmanager:GetSecretValue') && JSON.stringify(s.Resource) === JSON.stringify({ Ref: secretId }))
          readers.push(id);
      }
    }
    const expected = Object.entries(FUNCTIONS)
      .filter(([, f]) => f.readsSecret)
      .map(([name]) => name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase()));
    expect(readers.map((id) => id.replace(/RoleDefaultPolicy.*/, '')).sort()).toEqual(expected.sort());
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { IONOS_SECRET_ID: { Ref: secretId } } } });
  });

  it('imports an existing secret by ARN instead of creating one, and scopes the grant to it', () => {
    const arn = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:ionos/prod-AbCdEf';
    const imported = synth({ ionosSecret: arn });
    expect(
      resources(imported, 'AWS::SecretsManager::Secret')
        .map(([id]) => id)
        .filter((id) => id.startsWith('IonosCredentials')),
    ).toHaveLength(0);
    imported.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: arn }),
        ]),
      },
    });
  });
});

describe('API', () => {
  it('puts every route behind its authorizer and a usage-plan key; only CORS preflights are open', () => {
    const methods = resources(template, 'AWS::ApiGateway::Method');
    const authorizers = resources(template, 'AWS::ApiGateway::Authorizer');
    const idOf = (type: string) => authorizers.find(([, a]) => a.Properties.Type === type)?.[0];
    // The Bearer-token authorizer, cached per key; the LangGraph API's, which reads either header, uncached.
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 300,
    });
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'REQUEST', IdentitySource: '', AuthorizerResultTtlInSeconds: 0 });
    expect(authorizers).toHaveLength(2);
    const pathOf = new Map(resources(template, 'AWS::ApiGateway::Resource').map(([id, r]) => [id, r.Properties.PathPart as string]));
    for (const [, m] of methods) {
      if (m.Properties.HttpMethod === 'OPTIONS') {
        expect(m.Properties).toMatchObject({ AuthorizationType: 'NONE', Integration: { Type: 'MOCK' } });
        continue;
      }
      expect(m.Properties).toMatchObject({ AuthorizationType: 'CUSTOM', ApiKeyRequired: true });
      // A method's resource tells its route: LangGraph's (threads, runs, …) take x-api-key too.
      const resource = (m.Properties.ResourceId as { Ref?: string }).Ref;
      const part = resource === undefined ? '' : (pathOf.get(resource) ?? '');
      const route = ROUTES.find((r) => r.method === m.Properties.HttpMethod && r.path.split('/').at(-1) === part);
      const wanted = route?.keys === 'bearer-or-x-api-key' ? idOf('REQUEST') : idOf('TOKEN');
      if (route !== undefined) expect(m.Properties.AuthorizerId).toEqual({ Ref: wanted });
    }
    expect(methods.filter(([, m]) => m.Properties.HttpMethod !== 'OPTIONS')).toHaveLength(ROUTES.length);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      ApiKeySourceType: 'AUTHORIZER',
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
    const threadRuns = methods.find(
      ([, m]) => m.Properties.HttpMethod === 'POST' && pathOf.get((m.Properties.ResourceId as { Ref: string }).Ref) === 'stream',
    );
    expect(threadRuns?.[1].Properties.AuthorizerId).toEqual({ Ref: idOf('REQUEST') });
  });

  it('uses STREAM transfer mode for streaming functions and BUFFERED otherwise', () => {
    for (const route of ROUTES) {
      const streaming = FUNCTIONS[route.function].streaming;
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: route.method,
        Integration: Match.objectLike({
          Type: 'AWS_PROXY',
          ResponseTransferMode: streaming ? 'STREAM' : 'BUFFERED',
          Uri: { 'Fn::Join': ['', Match.arrayWith([streaming ? '/response-streaming-invocations' : '/invocations'])] },
        }),
      });
    }
  });

  it('passes multipart bodies (image edits) to the functions as binary, not as UTF-8 text', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['multipart/form-data'] });
  });

  it('throttles agent and proxy methods to the IONOS contract from config, images to their own limit', () => {
    const settings = (resources(template, 'AWS::ApiGateway::Stage')[0]?.[1].Properties.MethodSettings ?? []) as Record<string, unknown>[];
    const at = (path: string, method: string) => settings.find((s) => s.ResourcePath === path && s.HttpMethod === method);
    expect(at('/', 'POST')).toMatchObject({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 });
    expect(at('/~1v1~1{proxy+}', '*')).toMatchObject({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 });
    expect(at('/~1v1~1images~1generations', 'POST')).toMatchObject({ ThrottlingRateLimit: 10 / 60 });
    expect(at('/~1v1~1images~1edits', 'POST')).toMatchObject({ ThrottlingRateLimit: 10 / 60 });
    const custom = (resources(synth({ ionosRequestsPerSecond: 20, ionosRequestsBurst: 40 }), 'AWS::ApiGateway::Stage')[0]?.[1].Properties
      .MethodSettings ?? []) as Record<string, unknown>[];
    expect(custom.find((s) => s.ResourcePath === '/' && s.HttpMethod === 'POST')).toMatchObject({
      ThrottlingRateLimit: 20,
      ThrottlingBurstLimit: 40,
    });
  });

  it('creates a usage plan and key per consumer, and keeps the smoke key out of the template', () => {
    // Without a rate of its own, a key's plan is its share of the contract (one half of 5/s, burst 10), so
    // no one key can take every slot the consumers share.
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: 'IonosAgentBackend-default',
      Throttle: { RateLimit: 2.5, BurstLimit: 5 },
      Quota: { Limit: 20000, Period: 'DAY' },
    });
    const smokeKey = resources(template, 'AWS::ApiGateway::ApiKey').find(([, k]) => k.Properties.Name === 'IonosAgentBackend-smoke')?.[1];
    expect(JSON.stringify(smokeKey?.Properties.Value)).toContain('{{resolve:secretsmanager:');
    const defaultKey = resources(template, 'AWS::ApiGateway::ApiKey').find(
      ([, k]) => k.Properties.Name === 'IonosAgentBackend-default',
    )?.[1];
    expect(defaultKey?.Properties.Value).toBeUndefined(); // generated by API Gateway
  });

  it('answers gateway errors in the JSON envelope, and 429s with Retry-After', () => {
    for (const [type, error] of Object.entries(GATEWAY_ERRORS)) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        StatusCode: String(error.status),
        ResponseTemplates: { 'application/json': JSON.stringify(error.body) },
      });
    }
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'THROTTLED',
      StatusCode: '429',
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.retry-after': "'1'" }),
    });
  });

  it('never echoes the request Origin on gateway errors: the one allowed origin is named, several get none', () => {
    const parameters = (t: Template) =>
      resources(t, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => r.Properties.ResponseParameters as Record<string, string>);
    for (const params of parameters(template)) {
      expect(JSON.stringify(params)).not.toContain('method.request.header.origin');
      expect(params['gatewayresponse.header.Access-Control-Allow-Origin']).toBeUndefined(); // cdk.json allows three origins
    }
    for (const params of parameters(synth({ allowedOrigins: ['https://chat.example.com'] }))) {
      expect(params['gatewayresponse.header.Access-Control-Allow-Origin']).toBe("'https://chat.example.com'");
    }
  });

  it('allows the configured origins and the API headers in preflights', () => {
    const options = resources(template, 'AWS::ApiGateway::Method').find(([, m]) => m.Properties.HttpMethod === 'OPTIONS')?.[1];
    const params = JSON.stringify((options?.Properties.Integration as { IntegrationResponses: unknown[] }).IntegrationResponses);
    for (const header of ['content-type', 'authorization', 'x-api-key', 'x-model-id']) expect(params).toContain(header);
    expect(params).toContain('http://localhost:3000');
    const methods = /Access-Control-Allow-Methods":"'([^']*)'/.exec(params)?.[1]?.split(',');
    for (const route of ROUTES.filter((r) => r.method !== 'ANY')) expect(methods, route.path).toContain(route.method);
  });

  it('writes JSON access logs with the status and the calling consumer, and counts 429s from them', () => {
    const stage = resources(template, 'AWS::ApiGateway::Stage')[0]?.[1];
    const format = (stage?.Properties.AccessLogSetting as { Format: string }).Format;
    expect(JSON.parse(format)).toMatchObject({
      status: '$context.status',
      apiKeyId: '$context.identity.apiKeyId',
      principal: '$context.authorizer.principalId',
      resourcePath: '$context.resourcePath',
    });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.status = 429 }',
      MetricTransformations: [Match.objectLike({ MetricName: 'GatewayThrottled' })],
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'v1', TracingEnabled: true });
  });
});

describe('smoke test and operations', () => {
  it('schedules the smoke function with retries and a dead-letter queue', () => {
    const [[fnId]] = resources(template, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('SmokeTest')) as [[string, Resource]];
    const [[dlqId]] = resources(template, 'AWS::SQS::Queue') as [[string, Resource]];
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(15 minutes)',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [fnId, 'Arn'] },
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 2 }),
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
      }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SMOKE_MODEL: 'mistralai/Mistral-Small-24B-Instruct',
          API_URL: Match.anyValue(),
          SMOKE_KEY_SECRET_ARN: Match.anyValue(),
        }),
      },
    });
  });

  it('counts failures inside streams that answered 200 in the 5xx alarm', () => {
    const [, alarm] = resources(template, 'AWS::CloudWatch::Alarm').find(([id]) => id.includes('ServerErrorRate')) as [string, Resource];
    const metrics = alarm.Properties.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string; Dimensions?: { Value: string }[] } };
    }[];
    expect(metrics.find((m) => m.Expression !== undefined)?.Expression).toContain(
      'errors + FILL(agent, 0) + FILL(hubProxy, 0) + FILL(responses, 0)',
    );
    const streams = metrics
      .filter((m) => m.MetricStat?.Metric.MetricName === 'StreamServerErrors')
      .map((m) => m.MetricStat?.Metric.Dimensions?.[0]?.Value);
    expect(streams.sort()).toEqual(['agent', 'hub-proxy', 'responses']);
  });

  it('alarms when the IONOS token expires within the configured days', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IonosTokenDaysToExpiry',
      Namespace: 'IonosAgentBackend',
      Dimensions: [{ Name: 'service', Value: 'ionos-credentials' }],
      Statistic: 'Minimum',
      Threshold: 14,
      ComparisonOperator: 'LessThanThreshold',
    });
    synth({ tokenExpiryAlarmDays: 30 }).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IonosTokenDaysToExpiry',
      Threshold: 30,
    });
  });

  it('wires every alarm to the topic, alarms on missing smoke data, and subscribes the configured email', () => {
    const [[topicId]] = resources(template, 'AWS::SNS::Topic') as [[string, Resource]];
    const alarms = resources(template, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(3);
    for (const [, alarm] of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'SmokeSuccess', TreatMissingData: 'breaching' });
    expect(resources(template, 'AWS::SNS::Subscription')).toHaveLength(0);
    synth({ alarmEmail: 'ops@example.com' }).hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('what one consumer can cost', () => {
  const fnId = (prefix: string) =>
    (resources(template, 'AWS::Lambda::Function').find(([id]) => id.startsWith(prefix)) as [string, Resource])[0];

  it('reserves concurrency for the functions that call IONOS from config, never for the authorizer or the smoke test', () => {
    const byId = Object.fromEntries(
      resources(template, 'AWS::Lambda::Function').map(([id, r]) => [
        id.replace(/[0-9A-F]{8}$/, ''),
        r.Properties.ReservedConcurrentExecutions,
      ]),
    );
    expect(Object.keys(byId).sort()).toEqual(['Agent', 'Authorizer', 'HubProxy', 'Responses', 'SmokeTest', 'StudioModels']);
    expect(byId).toEqual({
      Agent: 50,
      HubProxy: 100,
      Responses: 50,
      Authorizer: undefined,
      SmokeTest: undefined,
      StudioModels: undefined,
    });
    const custom = synth({ agentReservedConcurrency: 20, proxyReservedConcurrency: '40', responsesReservedConcurrency: 30 });
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Description: FUNCTIONS.responses.description,
      ReservedConcurrentExecutions: 30,
    });
    custom.hasResourceProperties('AWS::Lambda::Function', { Description: FUNCTIONS.agent.description, ReservedConcurrentExecutions: 20 });
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Description: FUNCTIONS['hub-proxy'].description,
      ReservedConcurrentExecutions: 40,
    });
  });

  it('alarms when a function that calls IONOS is throttled at its reserved concurrency', () => {
    for (const prefix of ['Agent', 'HubProxy', 'Responses']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Throttles',
        Namespace: 'AWS/Lambda',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId(prefix) } }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
  });

  it('gives the functions the Studio allowlist, and each deploy setting to exactly the functions that read it', () => {
    for (const fn of ['hub-proxy', 'responses', 'agent'] as const) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: FUNCTIONS[fn].description,
        Environment: { Variables: Match.objectLike({ STUDIO_MODELS: JSON.stringify(MAP) }) },
      });
    }
    // Unset, a setting is not in any environment: the function applies its one default (shared/settings.ts).
    const defaults = Object.values(template.findResources('AWS::Lambda::Function')).flatMap((f) =>
      Object.keys((f as { Properties: { Environment?: { Variables?: object } } }).Properties.Environment?.Variables ?? {}),
    );
    expect(defaults.filter((name) => DEPLOY_SETTINGS.some((s) => s.name === name))).toEqual([]);
    // Set, each reaches the functions that read it, and no other.
    const values = Object.fromEntries(DEPLOY_SETTINGS.map((s) => [deployKey(s.name), s.default ?? 'https://example.com']));
    const functions = Object.values(synth(values).findResources('AWS::Lambda::Function')) as {
      Properties: { Description: string; Environment?: { Variables?: Record<string, string> } };
    }[];
    for (const [name, spec] of Object.entries(FUNCTIONS)) {
      const env = functions.find((f) => f.Properties.Description === spec.description)?.Properties.Environment?.Variables ?? {};
      const expected = DEPLOY_SETTINGS.filter((s) => s.readBy.includes(name as FunctionName)).map((s) => s.name);
      expect(
        Object.keys(env)
          .filter((k) => DEPLOY_SETTINGS.some((s) => s.name === k))
          .sort(),
        name,
      ).toEqual(expected.sort());
    }
    synth({ proxyMaxOutputTokens: 2048 }).hasResourceProperties('AWS::Lambda::Function', {
      Description: FUNCTIONS['hub-proxy'].description,
      Environment: { Variables: Match.objectLike({ PROXY_MAX_OUTPUT_TOKENS: '2048' }) },
    });
  });

  it('keeps the created credentials secret when the stack is deleted, and says how to fill it from a file', () => {
    const [[, secret]] = Object.entries(template.findResources('AWS::SecretsManager::Secret')).filter(([id]) =>
      id.startsWith('IonosCredentials'),
    ) as [[string, { DeletionPolicy?: string }]];
    expect(secret.DeletionPolicy).toBe('Retain');
    const fill = template.findOutputs('FillTheSecret').FillTheSecret as { Value: { 'Fn::Join': [string, unknown[]] } };
    const command = JSON.stringify(fill.Value);
    expect(command).toContain('--secret-string file://ionos-credentials.json');
    expect(command).not.toContain('ionosApiToken');
  });

  it('warns at synth when localhost origins are allowed, and not for real frontends only', () => {
    Annotations.fromStack(synthStack()).hasWarning('*', Match.stringLikeRegexp('allowedOrigins includes http://localhost:3000'));
    Annotations.fromStack(synthStack({ allowedOrigins: ['https://chat.example.com'] })).hasNoWarning(
      '*',
      Match.stringLikeRegexp('allowedOrigins includes'),
    );
  });
});

describe('deploy configuration', () => {
  it('parses -c strings as JSON and numbers', () => {
    const config = parseDeployConfig({
      ...CDK_JSON.context,
      logRetentionDays: '90',
      studioModels: JSON.stringify(MAP),
      ionosRequestsPerSecond: '7',
      '@aws-cdk/core:checkSecretUsage': true,
    });
    expect(config.logRetentionDays).toBe(90);
    expect(config.studioModels).toEqual(MAP);
    expect(config.settings.IONOS_REQUESTS_PER_SECOND).toBe('7');
  });

  it.each([
    [{ studioModels: { qwen: 'uuid-1234' } }, 'studioModels: entry "qwen": "uuid-1234" is not a UUID'],
    [{ logRetentionDays: 10 }, 'logRetentionDays: must be one of'],
    [{ ionosRequestsPerSecond: -1 }, 'ionosRequestsPerSecond: must be at least 0'],
    [{ agentMaxTokens: 'lots' }, 'agentMaxTokens: must be a number'],
    [{ consumers: { team: { rateLimit: 5, burstLimit: 0, dailyQuota: 10 } } }, 'consumers.team.burstLimit'],
    [{ consumers: { team: { dailyQuota: 10, contractShare: 1.5 } } }, 'consumers.team.contractShare: must be at most 1'],
    [{ consumers: {} }, 'consumers: must name at least one consumer'],
    [{ allowedOrigins: ['localhost:3000'] }, 'allowedOrigins.0: each origin must look like'],
    [{ smokeModel: 'gpt-4' }, 'smokeModel: must be a Hub model id'],
    [{ alarmEmail: 'nobody' }, 'alarmEmail: must be empty or an email address'],
    [{ ionosSecret: 'arn:aws:s3:::bucket' }, 'ionosSecret: must be empty, a secret name, or a complete secret ARN'],
    [{ stagename: 'x' }, 'stagename: unknown configuration key'],
    [{ agentReservedConcurrency: 0 }, 'agentReservedConcurrency: must be at least 1'],
    [{ proxyReservedConcurrency: 1000 }, 'proxyReservedConcurrency: must be at most 900'],
    [{ proxyMaxChoices: 2.5 }, 'proxyMaxChoices: must be a whole number'],
  ])('rejects %j naming the key', (override, message) => {
    expect(() => parseDeployConfig({ ...CDK_JSON.context, ...override })).toThrow(message);
  });
});
