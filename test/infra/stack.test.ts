import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDeployConfig } from '#infra/config.ts';
import { BackendStack } from '#infra/stack.ts';
import { FUNCTIONS, ROUTES } from '#shared/routes.ts';

const MAP = { 'qwen-gdpr': '7b19cae7-0983-4a6b-a03c-a647db48f00b' };
const DEFAULTS = { stackName: 'IonosAgentBackend', stageName: 'v1', logRetentionDays: 30, studioModels: MAP };
let template: Template;

beforeAll(() => {
  const app = new App();
  template = Template.fromStack(new BackendStack(app, 'Test', { config: parseDeployConfig(DEFAULTS) }));
});

describe('stack template', () => {
  it('runs every function on Node 24, arm64, ESM, with tracing and Powertools settings', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(Object.keys(FUNCTIONS).length);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: expect.any(String) } },
      });
    }
  });

  it('gives each function the timeout and memory of the route table', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: FUNCTIONS['studio-models'].memoryMb,
      Timeout: FUNCTIONS['studio-models'].timeoutSeconds,
      Environment: { Variables: { STUDIO_MODELS: JSON.stringify(MAP) } },
    });
  });

  it('keeps logs for the configured retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('is a Regional REST API with a traced stage named from config', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
    template.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'v1', TracingEnabled: true });
  });

  it('deploys every route of the shared table, streaming functions with STREAM transfer mode', () => {
    for (const route of ROUTES) {
      const last = route.path.split('/').at(-1);
      if (last !== '') template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: last });
      const streaming = FUNCTIONS[route.function].streaming;
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: route.method,
        Integration: Match.objectLike({
          Type: 'AWS_PROXY',
          IntegrationHttpMethod: 'POST',
          ResponseTransferMode: streaming ? 'STREAM' : 'BUFFERED',
          Uri: { 'Fn::Join': ['', Match.arrayWith([streaming ? '/response-streaming-invocations' : '/invocations'])] },
        }),
      });
    }
    expect(Object.keys(template.findResources('AWS::ApiGateway::Method'))).toHaveLength(ROUTES.length);
  });
});

describe('deploy configuration', () => {
  it('parses -c strings as JSON and numbers', () => {
    const config = parseDeployConfig({ ...DEFAULTS, logRetentionDays: '90', studioModels: JSON.stringify(MAP), '@aws-cdk/core:checkSecretUsage': true });
    expect(config.logRetentionDays).toBe(90);
    expect(config.studioModels).toEqual(MAP);
  });

  it.each([
    [{ studioModels: { qwen: 'uuid-1234' } }, 'studioModels: entry "qwen": "uuid-1234" is not a UUID'],
    [{ logRetentionDays: 10 }, 'logRetentionDays: must be one of'],
    [{ logRetentionDays: -1 }, 'logRetentionDays'],
    [{ stageName: 'my stage' }, 'stageName: must be 1-64'],
    [{ stagename: 'x' }, 'stagename: unknown configuration key'],
  ])('rejects %j naming the key', (override, message) => {
    expect(() => parseDeployConfig({ ...DEFAULTS, ...override })).toThrow(message);
  });
});
