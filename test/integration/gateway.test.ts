// What the gateway does before a function runs, as the local server plays it: API keys, CORS, preflights,
// and the smoke checks against it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalApi } from '#infra/offline/api-gateway/server.ts';
import type { Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { startLocalStack, type LocalStack } from '#test/helpers/local-stack.ts';
import { GATEWAY_ERRORS } from '#shared/http/gateway-errors.ts';
import { runSmokeChecks } from '#shared/smoke/checks.ts';
import { fillPath, ROUTES } from '#shared/routes.ts';

const KEY = 'gateway-test-key-0123456789';
const ORIGIN = 'http://localhost:3000';
let stack: LocalStack;
let sim: Simulator;
let api: LocalApi;

beforeAll(async () => {
  stack = await startLocalStack({
    LOCAL_API_KEYS: KEY,
    ALLOWED_ORIGINS: `${ORIGIN},http://localhost:5173`,
    STUDIO_MODELS: '{"qwen":"7b19cae7-0983-4a6b-a03c-a647db48f00b"}',
  });
  ({ sim, api } = stack);
});
afterAll(() => stack.close());

describe('gateway behaviour of the local server', () => {
  it('answers 401 without a key and 403 with a wrong one, in the envelope, before any function runs', async () => {
    const missing = await fetch(`${api.url}/v1/models`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual(GATEWAY_ERRORS.UNAUTHORIZED.body);
    const wrong = await fetch(`${api.url}/v1/models`, { headers: { authorization: 'Bearer not-a-real-key-at-all-000' } });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toEqual(GATEWAY_ERRORS.INVALID_API_KEY.body);
    expect(sim.control.requests).toHaveLength(0);
    expect((await fetch(`${api.url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
  });

  it('answers preflights for allowed origins with the API headers, and nothing for others', async () => {
    const ok = await fetch(`${api.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(ok.headers.get('access-control-allow-headers')).toBe('content-type, authorization, x-api-key, x-model-id');
    const other = await fetch(`${api.url}/v1/chat/completions`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows in the preflight every method a route serves (a browser can DELETE a stored response)', async () => {
    for (const route of ROUTES.filter((r) => r.method !== 'ANY')) {
      const path = fillPath(route.path, {
        id: 'resp_0123',
        proxy: 'models',
        modelPath: 'x/y/predictions',
        assistant_id: 'agent',
        thread_id: '4d3c2b1a-0000-4000-8000-00000000c0de',
        checkpoint_id: '1f000000-0000-6000-8000-000000000000',
        run_id: '4d3c2b1a-0000-4000-8000-00000000ffff',
        path: 'items',
      });
      const res = await fetch(`${api.url}${path}`, {
        method: 'OPTIONS',
        headers: { origin: ORIGIN, 'access-control-request-method': route.method },
      });
      expect(res.status, `${route.method} ${route.path}`).toBe(204);
      expect(res.headers.get('access-control-allow-methods')?.split(', '), `${route.method} ${route.path}`).toContain(route.method);
    }
  });

  it('adds CORS headers to function answers and errors for allowed origins only', async () => {
    const headers = { authorization: `Bearer ${KEY}`, origin: ORIGIN };
    const ok = await fetch(`${api.url}/studio/models`, { headers });
    expect(ok.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(ok.headers.get('access-control-expose-headers')).toContain('retry-after');
    const error = await fetch(`${api.url}/`, { method: 'POST', headers, body: '{}' });
    expect(error.status).toBe(400);
    expect(error.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const streamed = await fetch(`${api.url}/v1/models`, { headers });
    expect(streamed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const denied = await fetch(`${api.url}/v1/models`, { headers: { ...headers, authorization: '' } });
    expect(denied.headers.get('access-control-allow-origin')).toBe(ORIGIN); // a browser can read why it failed
    const foreign = await fetch(`${api.url}/studio/models`, { headers: { ...headers, origin: 'https://evil.example' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('smoke checks', () => {
  const run = (apiKey = KEY) =>
    runSmokeChecks({ baseUrl: api.url, apiKey, model: 'mistralai/Mistral-Small-24B-Instruct', timeoutMs: 10_000 });

  it('pass against a healthy API', async () => {
    const results = await run();
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ['GET /v1/models', true],
      ['GET /studio/models', true],
      ['POST /', true],
      ['POST /?stream=true', true],
    ]);
  });

  it('fail, naming the check, when a route breaks or the key is wrong', async () => {
    sim.control.faults.push({ path: '/v1/chat/completions', status: 500, times: 2 });
    const broken = await run();
    expect(broken.filter((r) => !r.ok).map((r) => r.name)).toEqual(['POST /', 'POST /?stream=true']);
    expect(broken.find((r) => r.name === 'POST /')?.detail).toContain('HTTP 502');
    expect(broken.find((r) => r.name === 'POST /?stream=true')?.detail).toContain('stream reported an error');
    expect((await run('wrong-key-0000000000000000')).every((r) => !r.ok)).toBe(true);
  });
});
