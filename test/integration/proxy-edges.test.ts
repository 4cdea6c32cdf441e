// The proxy's edges: path tricks, header allowlists both ways, bodies, upstream faults, cut streams and
// client aborts. Local server + simulator over loopback.
import { request } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LocalApi } from '#infra/offline/api-gateway/server.ts';
import type { Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { startLocalStack, type LocalStack } from '#test/helpers/local-stack.ts';
import { ENDPOINTS } from '#shared/proxy/endpoints.ts';
import { SENTINELS } from '#test/helpers/sentinels.ts';

const CHAT = 'mistralai/Mistral-Small-24B-Instruct';
const chatBody = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: CHAT, messages: [{ role: 'user', content: 'Hi' }], ...extra });
let stack: LocalStack;
let sim: Simulator;
let api: LocalApi;

beforeAll(async () => {
  stack = await startLocalStack({
    UPSTREAM_TIMEOUT_MS: '500',
    PROXY_DEADLINE_MS: '1500',
    PROXY_MAX_REQUEST_BYTES: '65536',
    PROXY_MAX_OUTPUT_TOKENS: '4096',
    PROXY_MAX_CHOICES: '4',
  });
  ({ sim, api } = stack);
});
afterAll(() => stack.close());
beforeEach(() => {
  sim.control.reset();
  sim.control.streamDelayMs = 0;
});

/** A raw HTTP request, so request targets and headers go out exactly as written. */
function raw(
  method: string,
  target: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const all = body === undefined ? headers : { 'content-length': String(Buffer.byteLength(body)), ...headers };
    const req = request(api.url, { method, path: target, headers: all }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${api.url}${path}`, { method: 'POST', headers, body });
const errorOf = async (res: Response) => ((await res.json()) as { error: { message: string; code: string; param: string | null } }).error;

describe('paths', () => {
  it.each([
    '/v1/../admin',
    '/v1/%2e%2e/admin',
    '/v1/%2E%2E%2Fadmin',
    '/v1/models/..%2F..%2Fadmin',
    '/v1/chat/completions/../../x',
    'http://evil.test/v1/models',
    '//evil.test/v1/models',
    '/v1/v1/models',
    '/v1/models%00',
    '/v1/files',
    '/v1/models/x',
    '/v1/%2F%2Fevil.test%2Fv1%2Fmodels',
    '/v1/..;/admin',
  ])('%s reaches no other upstream path or host', async (target) => {
    const res = await raw('GET', target);
    expect(res.status).toBeLessThan(500);
    expect(JSON.parse(res.body)).toBeTypeOf('object');
    for (const seen of sim.control.requests) expect(Object.keys(ENDPOINTS)).toContain(seen.path);
  });

  it('answers unknown endpoints with 404 and wrong methods with 405, in the envelope', async () => {
    const unknown = await fetch(`${api.url}/v1/files`);
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).message).toContain('/v1/chat/completions');
    const wrong = await fetch(`${api.url}/v1/models`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect((await fetch(`${api.url}/v1/chat/completions`)).status).toBe(405);
    expect(sim.control.requests).toHaveLength(0);
  });
});

describe('headers', () => {
  it('forwards only the allowlist; client credentials, cookies and gateway headers never go upstream', async () => {
    const res = await raw(
      'POST',
      '/v1/chat/completions',
      {
        'content-type': 'application/json',
        accept: 'application/json',
        'user-agent': 'test-agent/1',
        'idempotency-key': 'k1',
        authorization: 'Bearer client-secret',
        'x-api-key': 'client-key',
        cookie: 'session=abc',
        'proxy-authorization': 'Basic x',
        'x-forwarded-for': '10.0.0.1',
        'x-amzn-trace-id': 'Root=1',
        'x-real-ip': '1.2.3.4',
        forwarded: 'for=1.2.3.4',
        'x-model-id': 'x/y',
      },
      chatBody(),
    );
    expect(res.status).toBe(200);
    const seen = sim.control.requests[0]?.headers ?? {};
    expect(seen.authorization).toBe(`Bearer ${SENTINELS.ionosApiToken}`);
    expect(seen).toMatchObject({
      'content-type': 'application/json',
      accept: 'application/json',
      'user-agent': 'test-agent/1',
      'idempotency-key': 'k1',
    });
    for (const name of [
      'x-api-key',
      'cookie',
      'proxy-authorization',
      'x-forwarded-for',
      'x-amzn-trace-id',
      'x-real-ip',
      'forwarded',
      'x-model-id',
    ])
      expect(seen[name]).toBeUndefined();
    expect(JSON.stringify(seen)).not.toContain('client-secret');
  });

  it("passes back status, content type and a request id, never cookies, server internals or the shared contract's rate headers", async () => {
    sim.control.faults.push({
      headers: { 'set-cookie': 'upstream=1', server: 'nginx/1.25.3', 'x-powered-by': 'vllm', 'x-request-id': 'req-upstream-1' },
    });
    sim.limiter.limit = { rps: 5, burst: 10 };
    const res = await post('/v1/chat/completions', chatBody());
    sim.limiter.limit = { rps: 0, burst: 0 };
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-upstream-1');
    for (const name of ['set-cookie', 'server', 'x-powered-by', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-burst'])
      expect(res.headers.get(name)).toBeNull();
  });
});

describe('request ids', () => {
  it('relays an upstream x-request-id only when it is a plain id holding no credential, on answers and errors alike', async () => {
    for (const status of [undefined, 400]) {
      for (const [upstreamId, relayed] of [
        [`req-${SENTINELS.ionosApiToken}`, false],
        ['req id with spaces', false],
        ['x'.repeat(200), false],
        ['req-upstream-2', true],
      ] as const) {
        sim.control.faults.push({ headers: { 'x-request-id': upstreamId }, ...(status === undefined ? {} : { status }) });
        const res = await post('/v1/chat/completions', chatBody());
        expect(res.status).toBe(status ?? 200);
        const id = res.headers.get('x-request-id');
        expect(id).not.toBeNull();
        if (relayed) expect(id).toBe(upstreamId);
        else expect(id).not.toBe(upstreamId);
        expect(id).not.toContain(SENTINELS.ionosApiToken);
        await res.text();
      }
    }
  });
});

describe('bodies', () => {
  it.each([
    ['malformed JSON', '{"model":', 400, null, 'not valid JSON'],
    ['a JSON array', '[1,2]', 400, null, 'must be a JSON object'],
    ['an empty body', '', 400, null, 'empty'],
    ['no model', JSON.stringify({ messages: [] }), 400, 'model', '"model" is required'],
    ['a model with odd characters', JSON.stringify({ model: 'a/b\r\nx: y', messages: [] }), 400, 'model', 'provider/name'],
    [
      'a Studio UUID without a user message',
      JSON.stringify({ model: '7b19cae7-0983-4a6b-a03c-a647db48f00b', messages: [{ role: 'system', content: 'x' }] }),
      400,
      'messages',
      'at least one user message',
    ],
    ['an oversized body', chatBody({ pad: 'x'.repeat(70_000) }), 413, null, 'larger than the limit'],
    [
      'max_tokens over the limit',
      chatBody({ max_tokens: 10_000_000, n: 128 }),
      400,
      'max_tokens',
      '"max_tokens" is 10000000, above this API\'s limit of 4096',
    ],
    ['max_completion_tokens over the limit', chatBody({ max_completion_tokens: 4097 }), 400, 'max_completion_tokens', 'limit of 4096'],
    ['n over the limit', chatBody({ n: 128 }), 400, 'n', '"n" is 128, above this API\'s limit of 4'],
    ['max_tokens as a string', chatBody({ max_tokens: '10000000' }), 400, 'max_tokens', 'must be a whole number'],
    [
      'a Studio UUID with max_tokens 99999999',
      JSON.stringify({ model: '7b19cae7-0983-4a6b-a03c-a647db48f00b', messages: [{ role: 'user', content: 'x' }], max_tokens: 99_999_999 }),
      400,
      'max_tokens',
      'limit of 4096',
    ],
    [
      'a Studio UUID this API does not offer',
      JSON.stringify({ model: '11111111-2222-4333-8444-555555555555', messages: [{ role: 'user', content: 'x' }] }),
      404,
      'model',
      'GET /studio/models lists',
    ],
    [
      'the key "model" twice',
      `{"model":"${CHAT}","messages":[{"role":"user","content":"x"}],"model":"evil/model"}`,
      400,
      'model',
      'has the key "model" more than once',
    ],
    ['the key "model" twice, one escaped', `{"model":"${CHAT}","messages":[],"mod\\u0065l":"evil/model"}`, 400, 'model', 'more than once'],
  ])('refuses %s before anything goes upstream', async (_name, body, status, param, message) => {
    const res = await post('/v1/chat/completions', body);
    expect(res.status).toBe(status);
    const error = await errorOf(res);
    expect(error.message).toContain(message);
    expect(error.param).toBe(param);
    expect(sim.control.requests).toHaveLength(0);
  });

  it('forwards the body byte for byte and leaves other fields to IONOS', async () => {
    const body = `{ "model" : "${CHAT}",\n  "messages": [{"role":"user","content":"Grüße 👋"}], "x_vendor_field": {"a": [1, 2.50]} }`;
    expect((await post('/v1/chat/completions', body)).status).toBe(200);
    expect(sim.control.requests[0]?.body).toBe(body);
  });
});

describe('deeply nested JSON', () => {
  const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const schema = (depth: number) => `${'{"type":"object","properties":{"a":'.repeat(depth)}{"type":"string"}${'}}'.repeat(depth)}`;
  const cases: [string, string, string, Record<string, string>][] = [
    [
      'a chat completion',
      '/v1/chat/completions',
      `{"model":"${CHAT}","messages":[{"role":"user","content":"Hi"}],"metadata":${nested(5000)}}`,
      {},
    ],
    ['Responses metadata', '/v1/responses', `{"model":"${CHAT}","input":"Hi","metadata":${nested(5000)}}`, {}],
    [
      'Responses tools[].parameters',
      '/v1/responses',
      `{"model":"${CHAT}","input":"Hi","tools":[{"type":"function","name":"f","parameters":${schema(1500)}}]}`,
      {},
    ],
    [
      'Responses text.format.schema',
      '/v1/responses',
      `{"model":"${CHAT}","input":"Hi","stream":true,"text":{"format":{"type":"json_schema","name":"s","schema":${schema(1500)}}}}`,
      {},
    ],
    ['the agent', '/', `{"messages":[{"type":"human","content":"Hi","extra":${nested(5000)}}]}`, { 'x-model-id': CHAT }],
  ];
  it.each(cases)('answers 400 json_too_deep for %s nested thousands deep, before IONOS is called', async (_, path, body, headers) => {
    const res = await post(path, body, { 'content-type': 'application/json', ...headers });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: 'json_too_deep', message: expect.stringContaining('at most 64 levels') });
    expect(sim.control.requests).toHaveLength(0);
  });

  it('accepts a JSON schema nested as deep as real ones are', async () => {
    const res = await post('/v1/chat/completions', chatBody({ metadata: JSON.parse(nested(60)) as unknown }), {
      'content-type': 'application/json',
    });
    expect(res.status).toBe(200);
  });
});

describe('upstream faults', () => {
  it.each([
    [{ status: 500 }, 502, undefined],
    [{ status: 502 }, 502, undefined],
    [{ status: 503, retryAfter: 9 }, 503, '9'],
    [{ status: 401 }, 502, undefined],
    [{ status: 403 }, 502, undefined],
    [{ reset: true }, 502, undefined],
    [{ latencyMs: 2_000 }, 504, undefined],
    [{ status: 500, errorFormat: 'html' as const }, 502, undefined],
  ])('maps %j to %i in the envelope, without upstream internals', async (fault, status, retryAfter) => {
    sim.control.faults.push({ path: '/v1/chat/completions', ...fault });
    const res = await post('/v1/chat/completions', chatBody());
    expect(res.status).toBe(status);
    expect(res.headers.get('retry-after') ?? undefined).toBe(retryAfter);
    const error = await errorOf(res);
    expect(error.message).not.toMatch(/Simulated|html|<h1>/);
    expect(sim.control.requests).toHaveLength(1); // the proxy does not retry
  });

  it('passes a 429 through with Retry-After (SDKs back off on it)', async () => {
    sim.limiter.limit = { rps: 5, burst: 1 };
    await post('/v1/chat/completions', chatBody());
    const limited = await post('/v1/chat/completions', chatBody());
    sim.limiter.limit = { rps: 0, burst: 0 };
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect((await errorOf(limited)).code).toBe('rate_limit_exceeded');
  });

  it('lets a non-streamed completion take longer than UPSTREAM_TIMEOUT_MS, up to PROXY_DEADLINE_MS; a stream still gets its headers in time', async () => {
    sim.control.faults.push({ path: '/v1/chat/completions', latencyMs: 900, times: 2 });
    expect((await post('/v1/chat/completions', chatBody())).status).toBe(200); // UPSTREAM_TIMEOUT_MS is 500
    const streamed = await post('/v1/chat/completions', chatBody({ stream: true }));
    expect(streamed.status).toBe(504);
  });

  it('serves image generation only through its own (throttled) resource, not an encoded path through /v1/{proxy+}', async () => {
    const image = JSON.stringify({ model: 'stabilityai/stable-diffusion-xl-base-1.0', prompt: 'a cat' });
    const encoded = await post('/v1/images%2Fgenerations', image);
    expect(encoded.status).toBe(404);
    expect((await errorOf(encoded)).message).toContain('without encoded slashes');
    expect(sim.control.requests).toHaveLength(0);
    expect((await post('/v1/images/generations', image)).status).toBe(200);
    const tooMany = await post(
      '/v1/images/generations',
      JSON.stringify({ model: 'stabilityai/stable-diffusion-xl-base-1.0', prompt: 'a cat', n: 5 }),
    );
    expect(tooMany.status).toBe(400);
  });

  it('ends a stream cut mid-way with an SSE error event, not a silent end', async () => {
    sim.control.faults.push({ cutStreamAfter: 3 });
    const res = await post('/v1/chat/completions', chatBody({ stream: true }));
    expect(res.status).toBe(200);
    const events = (await res.text()).split('\n\n').filter(Boolean);
    expect(events).toHaveLength(4);
    expect(events.at(-1)).toBe(
      'data: {"error":{"message":"IONOS AI Model Hub stopped sending the stream before it was complete.","type":"upstream_error","code":"upstream_stream_cut","param":null}}',
    );
    expect(events).not.toContain('data: [DONE]');
  });

  it('answers 502 when a JSON answer is cut mid-body, never a truncated 200', async () => {
    sim.control.faults.push({ cutStreamAfter: 0 });
    const res = await post('/v1/chat/completions', chatBody());
    expect(res.status).toBe(502);
    expect((await errorOf(res)).code).toBe('upstream_body_cut');
  });

  it('aborts the upstream request when the client disconnects mid-stream', async () => {
    sim.control.streamDelayMs = 100;
    const controller = new AbortController();
    const res = await fetch(`${api.url}/v1/chat/completions`, {
      method: 'POST',
      body: chatBody({ stream: true }),
      signal: controller.signal,
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    controller.abort();
    await vi.waitFor(() => expect(sim.control.requests[0]?.clientClosedEarly).toBe(true), { timeout: 3_000 });
  });
});

describe('legacy native routes', () => {
  it('lists models as a ModelsCollection, marked deprecated', async () => {
    const res = await fetch(`${api.url}/models`);
    expect(res.headers.get('deprecation')).toBe('@1777939200');
    expect(res.headers.get('link')).toBe('</v1/models>; rel="successor-version"');
    const body = (await res.json()) as { type: string; items: { id: string; type: string; properties: { category: string } }[] };
    expect(body.type).toBe('collection');
    expect(body.items).toContainEqual(
      expect.objectContaining({ id: CHAT, type: 'model', properties: expect.objectContaining({ category: 'text/nlp' }) }),
    );
  });

  it.each([`/models/${CHAT}/predictions`, `/models/${encodeURIComponent(CHAT)}/predictions`])(
    'predicts through chat completions at %s',
    async (path) => {
      const res = await post(
        path,
        JSON.stringify({ type: 'prediction', properties: { input: 'Hallo Welt', options: { max_tokens: '64', temperature: '0.2' } } }),
      );
      expect(res.headers.get('link')).toBe('</v1/chat/completions>; rel="successor-version"');
      const body = (await res.json()) as {
        type: string;
        properties: { output: string; inputLengthInTokens: number };
        metadata: { outputTokens: number };
      };
      expect(body.type).toBe('prediction');
      expect(body.properties.output).toContain('Hallo Welt');
      expect(body.metadata.outputTokens).toBeGreaterThan(0);
      expect(JSON.parse(sim.control.requests.at(-1)?.body ?? '{}')).toMatchObject({
        model: CHAT,
        max_tokens: 64,
        temperature: 0.2,
        messages: [{ role: 'user', content: 'Hallo Welt' }],
      });
    },
  );

  it('answers 502 when the Hub answers them with a body that is not JSON, never a 500', async () => {
    for (const [path, init] of [
      ['/models', { method: 'GET' }],
      [`/models/${CHAT}/predictions`, { method: 'POST', body: JSON.stringify({ properties: { input: 'x' } }) }],
    ] as const) {
      sim.control.faults.push({ malformedJson: true, times: 3 }); // listing models retries
      const res = await fetch(`${api.url}${path}`, init);
      expect(res.status).toBe(502);
      expect((await errorOf(res)).code).toBe('upstream_malformed_answer');
      sim.control.reset();
    }
  });

  it('rejects a bad prediction request naming the field', async () => {
    const res = await post(`/models/${CHAT}/predictions`, JSON.stringify({ properties: { input: 'x', options: { max_tokens: 'lots' } } }));
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe('properties.options.max_tokens');
    expect((await post(`/models/${CHAT}/predictions`, JSON.stringify({ properties: {} }))).status).toBe(400);
    expect((await post('/models/nope/predictions', JSON.stringify({ properties: { input: 'x' } }))).status).toBe(400);
  });
});
