// The shipped bundles, not only the sources: the app is synthesized as `cdk synth` does (esbuild bundles in
// the cloud assembly), and each function's bundle runs under AWS's runtime interface client against a
// minimal Runtime API on loopback, invoked with API Gateway REST events in the shape AWS documents. A
// bundling, ESM/CJS or streaming-mode mistake fails here instead of after a deploy.
import { App } from 'aws-cdk-lib';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDeployConfig } from '#infra/config.ts';
import { BackendStack } from '#infra/stack.ts';
import type { Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { STUDIO_MODELS } from '#infra/offline/ionos-simulator/catalogue.ts';
import { FUNCTIONS, type FunctionName } from '#shared/routes.ts';
import { parseStreamingResponse, startBundle, type RunningBundle } from '#test/helpers/lambda-runtime.ts';
import { restEvent } from '#test/helpers/rest-event.ts';
import { SENTINELS, startTestSimulator } from '#test/helpers/sentinels.ts';

const CDK_JSON = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };
const CHAT = 'mistralai/Mistral-Small-24B-Instruct';
const ROOT = new URL('../..', import.meta.url).pathname;

type FunctionResource = { Properties: { Environment?: { Variables?: Record<string, unknown> } }; Metadata?: Record<string, string> };
const outdir = mkdtempSync(join(tmpdir(), 'ionos-backend-assembly-'));
const bundles = new Map<FunctionName, { dir: string; env: Record<string, string> }>();
const running = new Map<FunctionName, RunningBundle>();
let sim: Simulator;

/** A function's environment from the template, pointed at the simulator. */
function envOf(name: FunctionName): Record<string, string> {
  return {
    ...(bundles.get(name) as { env: Record<string, string> }).env,
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    IONOS_HUB_BASE_URL: sim.hubBaseUrl,
    IONOS_STUDIO_BASE_URL: sim.studioBaseUrl,
    IONOS_API_TOKEN: SENTINELS.ionosApiToken,
    IONOS_STUDIO_API_KEY: sim.studioApiKey,
    IONOS_STUDIO_ORG_ID: sim.studioOrgId,
    TAVILY_API_KEY: sim.tavilyApiKey,
    TAVILY_BASE_URL: sim.tavilyBaseUrl,
  };
}

/** Starts a function's bundle under the runtime interface client. */
async function run(name: FunctionName): Promise<RunningBundle> {
  const started = await startBundle((bundles.get(name) as { dir: string }).dir, envOf(name));
  running.set(name, started);
  return started;
}

beforeAll(async () => {
  sim = await startTestSimulator();
  // As the CDK CLI synthesizes: asset metadata on, so each function names its bundle's folder.
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  const config = parseDeployConfig({ ...CDK_JSON.context, studioModels: STUDIO_MODELS });
  new BackendStack(app, 'Bundles', { config });
  const template = app.synth().getStackByName('Bundles').template as { Resources: Record<string, FunctionResource & { Type: string }> };
  for (const resource of Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function')) {
    const variables = resource.Properties.Environment?.Variables ?? {};
    // Values the stack resolves at deploy time (ARNs, the API URL) are left out; the harness sets what it needs.
    const env = Object.fromEntries(Object.entries(variables).filter((e): e is [string, string] => typeof e[1] === 'string'));
    bundles.set(env.POWERTOOLS_SERVICE_NAME as FunctionName, { dir: join(outdir, resource.Metadata?.['aws:asset:path'] ?? ''), env });
  }
}, 120_000);

afterAll(async () => {
  for (const bundle of running.values()) await bundle.stop();
  await sim.close();
  rmSync(outdir, { recursive: true, force: true });
});

describe('bundles under the Lambda runtime interface client', () => {
  it('synthesizes one bundle per function', () => {
    expect([...bundles.keys()].sort()).toEqual(Object.keys(FUNCTIONS).sort());
  });

  it('agent: answers a buffered and a streamed run with the HTTP-integration prelude, in streaming mode', async () => {
    const agent = await run('agent');
    const body = JSON.stringify({ messages: [{ type: 'human', content: 'Hello bundle' }] });
    const buffered = await agent.invoke(restEvent('/', '/', 'POST', { headers: { 'x-model-id': CHAT }, body }));
    expect(buffered).toMatchObject({ outcome: 'response', streaming: true });
    const answer = parseStreamingResponse(buffered);
    expect(answer.prelude).toMatchObject({ statusCode: 200, headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(answer.body)).toMatchObject({ type: 'ai', content: expect.stringContaining('Hello bundle') });

    const streamed = parseStreamingResponse(
      await agent.invoke(restEvent('/', '/', 'POST', { headers: { 'x-model-id': CHAT }, body, query: { stream: 'true' } })),
    );
    expect(streamed.prelude).toMatchObject({ statusCode: 200, headers: { 'content-type': 'text/event-stream' } });
    expect(streamed.body.startsWith('data: {"status":"thinking"}')).toBe(true);
    expect(streamed.body.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('hub-proxy: relays GET /v1/models and answers a refused request in the envelope, in streaming mode', async () => {
    const proxy = await run('hub-proxy');
    const models = await proxy.invoke(restEvent('/v1/{proxy+}', '/v1/models', 'GET', { pathParameters: { proxy: 'models' } }));
    expect(models).toMatchObject({ outcome: 'response', streaming: true });
    const listed = parseStreamingResponse(models);
    expect(listed.prelude.statusCode).toBe(200);
    expect((JSON.parse(listed.body) as { data: unknown[] }).data.length).toBeGreaterThan(0);
    const refused = parseStreamingResponse(
      await proxy.invoke(
        restEvent('/v1/{proxy+}', '/v1/chat/completions', 'POST', {
          pathParameters: { proxy: 'chat/completions' },
          body: JSON.stringify({ model: CHAT, messages: [], n: 99 }),
        }),
      ),
    );
    expect(refused.prelude.statusCode).toBe(400);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { param: 'n', code: 'limit_exceeded' } });
  });

  it('responses: answers a buffered response and streams one, and refuses a hosted tool it lacks, in streaming mode', async () => {
    const responses = await run('responses');
    const create = (body: unknown) => restEvent('/v1/responses', '/v1/responses', 'POST', { body: JSON.stringify(body) });
    const buffered = parseStreamingResponse(await responses.invoke(create({ model: CHAT, input: 'Hello bundle', store: false })));
    expect(buffered.prelude).toMatchObject({ statusCode: 200, headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(buffered.body)).toMatchObject({ object: 'response', status: 'completed' });
    expect(buffered.body).toContain('Hello bundle');
    const streamed = parseStreamingResponse(await responses.invoke(create({ model: CHAT, input: 'Hello', store: false, stream: true })));
    expect(streamed.prelude).toMatchObject({ statusCode: 200, headers: { 'content-type': 'text/event-stream' } });
    expect(streamed.body).toContain('event: response.completed');
    const refused = parseStreamingResponse(await responses.invoke(create({ model: CHAT, input: 'Hi', tools: [{ type: 'file_search' }] })));
    expect(refused.prelude.statusCode).toBe(400);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { param: 'tools[0].type' } });
  });

  it('studio-models: answers a buffered proxy result', async () => {
    const listing = await run('studio-models');
    const result = await listing.invoke(restEvent('/studio/models', '/studio/models', 'GET'));
    expect(result).toMatchObject({ outcome: 'response', streaming: false });
    const proxyResult = JSON.parse(result.body.toString('utf8')) as { statusCode: number; body: string };
    expect(proxyResult.statusCode).toBe(200);
    expect(JSON.parse(proxyResult.body)).toEqual(STUDIO_MODELS);
  });

  // Node loads its fetch implementation (undici) with the first `Response` or `Headers`, or an ESM import
  // of node:http: tens of milliseconds of a cold start's first request. The proxy's path needs none of it
  // (shared/http/upstream-answer.ts); the agent's model (the OpenAI SDK) does, the control that shows the
  // probe sees it.
  it("hub-proxy and responses: a cold start and its first requests (buffered, streamed) load no undici; the agent's do", async () => {
    const fresh = async (name: FunctionName, events: unknown[]) => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['test/helpers/fresh-invocation.ts', join((bundles.get(name) as { dir: string }).dir, 'index.mjs'), JSON.stringify(events)],
        { cwd: ROOT, env: { PATH: process.env.PATH, ...envOf(name), POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' } },
      );
      return JSON.parse(stdout.trim().split('\n').at(-1) as string) as { answers: string[]; undici: boolean };
    };
    const messages = [{ role: 'user', content: 'Hello' }];
    const chat = (body: unknown) =>
      restEvent('/v1/{proxy+}', '/v1/chat/completions', 'POST', {
        pathParameters: { proxy: 'chat/completions' },
        body: JSON.stringify(body),
      });
    const proxy = await fresh('hub-proxy', [chat({ model: CHAT, messages }), chat({ model: CHAT, messages, stream: true })]);
    const statuses = proxy.answers.map((a) => (JSON.parse(a.split('\n')[0] as string) as { statusCode: number }).statusCode);
    expect(statuses).toEqual([200, 200]);
    expect(proxy.answers[1]).toContain('data: [DONE]');
    expect(proxy.undici).toBe(false);
    const create = (body: unknown) => restEvent('/v1/responses', '/v1/responses', 'POST', { body: JSON.stringify(body) });
    const responses = await fresh('responses', [
      create({ model: CHAT, input: 'Hello', store: false }),
      create({ model: CHAT, input: 'Hello', store: false, stream: true }),
    ]);
    expect(responses.answers[0]).toContain('"output_text"');
    expect(responses.answers[1]).toContain('event: response.completed');
    expect(responses.undici).toBe(false);

    const agent = await fresh('agent', [
      restEvent('/', '/', 'POST', {
        headers: { 'x-model-id': CHAT },
        body: JSON.stringify({ messages: [{ type: 'human', content: 'Hello' }] }),
      }),
    ]);
    expect(JSON.parse(agent.answers[0]?.split('\n')[0] ?? '{}')).toMatchObject({ statusCode: 200 });
    expect(agent.undici).toBe(true);
  });

  it('authorizer: answers a TOKEN event with the usage-plan key and a policy', async () => {
    const authorizer = await run('authorizer');
    const key = 'harness-api-key-0123456789';
    const result = await authorizer.invoke({
      type: 'TOKEN',
      authorizationToken: `Bearer ${key}`,
      methodArn: 'arn:aws:execute-api:eu-central-1:123456789012:abc123/v1/GET/studio/models',
    });
    expect(result.outcome).toBe('response');
    expect(JSON.parse(result.body.toString('utf8'))).toMatchObject({
      usageIdentifierKey: key,
      principalId: expect.stringMatching(/^key-/),
      policyDocument: { Statement: [{ Effect: 'Allow' }] },
    });
  });

  it('smoke-test: loads, and reports a missing setting as a function error', async () => {
    const smoke = await run('smoke-test');
    const result = await smoke.invoke({});
    expect(result.outcome).toBe('error');
    expect(JSON.parse(result.body.toString('utf8'))).toMatchObject({ errorMessage: expect.stringContaining('Smoke test misconfigured') });
  });

  it('measures INIT of every bundle as the runtime sees it (reported, not asserted)', () => {
    expect([...running.keys()].sort()).toEqual(Object.keys(FUNCTIONS).sort());
    console.log([...running].map(([name, b]) => `runtime INIT ${name}: ${Math.round(b.initMs)} ms`).join('\n'));
  });
});
