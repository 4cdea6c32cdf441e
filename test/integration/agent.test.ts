// POST / through the local server against the simulator: real HTTP on loopback, both routes, both modes.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LocalApi } from '#infra/offline/api-gateway/server.ts';
import { STUDIO_MODELS } from '#infra/offline/ionos-simulator/catalogue.ts';
import type { Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { startLocalStack, type LocalStack } from '#test/helpers/local-stack.ts';
import { SENTINELS } from '#test/helpers/sentinels.ts';

const MISTRAL = 'mistralai/Mistral-Small-24B-Instruct';
const TOOLLESS = 'meta-llama/Meta-Llama-3-70B-Instruct';
const STUDIO = STUDIO_MODELS['qwen-gdpr-demo'] as string;
const SEED_REQUEST = { messages: [{ type: 'human', content: "What's the weather like today in Berlin?" }] };
const seedExample = JSON.parse(readFileSync(new URL('../contract/seed-agent-response.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>;

let stack: LocalStack;
let sim: Simulator;
let api: LocalApi;

beforeAll(async () => {
  stack = await startLocalStack({ UPSTREAM_TIMEOUT_MS: '800', AGENT_DEADLINE_MS: '4000' });
  ({ sim, api } = stack);
});
afterAll(() => stack.close());
beforeEach(() => {
  sim.control.reset();
  sim.control.streamDelayMs = 0;
  sim.control.studioPollsBeforeDone = 1;
});

const ask = (body: unknown, model: string | null = MISTRAL, query = '', signal?: AbortSignal) =>
  fetch(`${api.url}/${query}`, {
    method: 'POST',
    headers: model === null ? {} : { 'x-model-id': model },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
const frames = async (res: Response) =>
  (await res.text())
    .split('\n\n')
    .filter(Boolean)
    .map((f) => (f === 'data: [DONE]' ? '[DONE]' : (JSON.parse(f.slice(6)) as Record<string, unknown>)));
const chatRequests = () =>
  sim.control.requests
    .filter((r) => r.path === '/v1/chat/completions')
    .map((r) => JSON.parse(r.body) as { tools?: unknown[]; messages: { role: string; content: string }[] });
const shape = (v: unknown): unknown =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'array'
      : typeof v === 'object'
        ? Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, shape(x)]))
        : typeof v;

describe('POST / on the Hub', () => {
  it('answers the seed example request in the seed example shape, key by key', async () => {
    const res = await ask(SEED_REQUEST);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(shape({ ...body, response_metadata: { ...(body.response_metadata as object), system_fingerprint: null } })).toEqual(
      shape(seedExample),
    );
    expect(body.content).toContain("What's the weather like today in Berlin?");
    expect(body).toMatchObject({
      type: 'ai',
      example: false,
      tool_calls: [],
      response_metadata: { model_name: MISTRAL, finish_reason: 'stop' },
    });
  });

  it('takes back the AI message it returned as conversation history', async () => {
    const first = await (await ask(SEED_REQUEST)).json();
    const res = await ask({ messages: [...SEED_REQUEST.messages, first, { type: 'human', content: 'And tomorrow?' }] });
    expect(res.status).toBe(200);
    expect(
      chatRequests()
        .at(-1)
        ?.messages.map((m) => m.role),
    ).toEqual(['system', 'user', 'assistant', 'user']);
  });

  it('streams the original protocol with real token deltas', async () => {
    const res = await ask(SEED_REQUEST, MISTRAL, '?stream=true');
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events = await frames(res);
    expect(events[0]).toEqual({ status: 'thinking' });
    expect(events.at(-1)).toBe('[DONE]');
    const content = events.filter((e) => typeof e === 'object' && 'content' in e).map((e) => (e as { content: string }).content);
    expect(content.length).toBeGreaterThan(3);
    expect(content.join('')).toContain('you said "What\'s the weather like today in Berlin?"');
    expect(chatRequests()[0]).toMatchObject({ stream: true });
  });

  it('runs a web search through Tavily when the model calls it, and reports tool activity', async () => {
    sim.control.chatReplies.push(
      { toolCalls: [{ name: 'web_search', arguments: { query: 'weather Berlin' } }] },
      { content: 'Sunny, according to a web search.' },
    );
    const events = await frames(await ask(SEED_REQUEST, MISTRAL, '?stream=true'));
    expect(events).toContainEqual({ tool: { name: 'web_search', status: 'started' } });
    expect(events).toContainEqual({ tool: { name: 'web_search', status: 'finished' } });
    expect(
      sim.control.requests.some((r) => r.path === '/tavily/search' && r.headers.authorization === `Bearer ${SENTINELS.tavilyApiKey}`),
    ).toBe(true);
    const second = chatRequests()[1];
    expect(second?.messages.at(-1)).toMatchObject({
      role: 'tool',
      content: expect.stringContaining('Simulated result 1 for "weather Berlin"'),
    });
  });

  it('tells the model when web search failed, marks the tool failed, and logs one structured line, not a raw Response', async () => {
    sim.control.faults.push({ path: '/tavily/search', status: 500, errorMessage: 'tavily down' });
    sim.control.chatReplies.push(
      { toolCalls: [{ name: 'web_search', arguments: { query: 'weather Berlin' } }] },
      { content: 'I could not search.' },
    );
    const printed = vi.spyOn(console, 'log');
    try {
      const events = await frames(await ask(SEED_REQUEST, MISTRAL, '?stream=true'));
      expect(events).toContainEqual({ tool: { name: 'web_search', status: 'failed' } });
      expect(events.at(-1)).toBe('[DONE]');
      expect(chatRequests()[1]?.messages.at(-1)).toMatchObject({
        role: 'tool',
        content: expect.stringMatching(/^Web search failed: Tavily .*Answer from what you know/),
      });
      expect(printed.mock.calls.flat().some((a) => a instanceof Response)).toBe(false);
    } finally {
      printed.mockRestore();
    }
  });

  it('refuses a flood of leading system messages with a real 400, streamed or not, before anything goes upstream', async () => {
    const flood = {
      messages: [
        ...Array.from({ length: 3_000 }, () => ({ type: 'system', content: 's' })),
        ...Array.from({ length: 100 }, () => ({ type: 'human', content: 'h' })),
      ],
    };
    for (const query of ['', '?stream=true']) {
      const res = await ask(flood, MISTRAL, query);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'too_many_messages', param: 'messages' } });
    }
    expect(chatRequests()).toEqual([]);
  });

  it('runs at most the per-step number of the 40 searches one reply asks for', async () => {
    const searches = Array.from({ length: 40 }, (_, i) => ({ name: 'web_search', arguments: { query: `q${i}` } }));
    sim.control.chatReplies.push({ toolCalls: searches }, { content: 'Done searching.' });
    const res = await ask(SEED_REQUEST);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { content: string }).content).toBe('Done searching.');
    expect(sim.control.requests.filter((r) => r.path === '/tavily/search')).toHaveLength(4); // AGENT_MAX_TOOL_CALLS_PER_STEP
    expect(chatRequests()[1]?.messages.filter((m) => m.role === 'tool')).toHaveLength(40);
  });

  it('answers without tools for a model that refuses them, and stops sending tools to it', async () => {
    expect((await ask(SEED_REQUEST, TOOLLESS)).status).toBe(200);
    expect(chatRequests().map((r) => r.tools !== undefined)).toEqual([true, false]);
    expect((await ask(SEED_REQUEST, TOOLLESS)).status).toBe(200);
    expect(chatRequests().map((r) => r.tools !== undefined)).toEqual([true, false, false]);
  });
});

describe('POST / upstream faults', () => {
  it('waits out a 429 with Retry-After and succeeds', async () => {
    sim.control.faults.push({ path: '/v1/chat/completions', status: 429, retryAfter: 1 });
    expect((await ask(SEED_REQUEST)).status).toBe(200);
    expect(chatRequests()).toHaveLength(2);
  });

  it('answers 429 with Retry-After when the wait would pass the deadline', async () => {
    sim.control.faults.push({ path: '/v1/chat/completions', status: 429, retryAfter: 120 });
    const res = await ask(SEED_REQUEST);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('120');
    expect(await res.json()).toMatchObject({ error: { type: 'rate_limit_error' } });
  });

  it.each([
    [{ status: 500 }, 502, 'returned HTTP 500'],
    [{ latencyMs: 2_000 }, 504, 'did not answer in time'],
    [{ reset: true, times: 4 }, 502, 'could not be reached'],
    [{ status: 401 }, 502, "rejected this server's credentials"],
  ])('maps %j to %i', async (fault, status, message) => {
    sim.control.faults.push({ path: '/v1/chat/completions', ...fault });
    const res = await ask(SEED_REQUEST);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(message);
  });

  it('ends a failing stream with an error event and [DONE]', async () => {
    sim.control.faults.push({ path: '/v1/chat/completions', status: 500 });
    const events = await frames(await ask(SEED_REQUEST, MISTRAL, '?stream=true'));
    expect(events).toEqual([
      { status: 'thinking' },
      { error: 'IONOS AI Model Hub returned HTTP 500. Try again later.', type: 'upstream_error', code: 'upstream_error' },
      '[DONE]',
    ]);
  });

  it('stops the upstream call when the client disconnects mid-stream', async () => {
    sim.control.streamDelayMs = 100;
    const controller = new AbortController();
    const res = await ask(SEED_REQUEST, MISTRAL, '?stream=true', controller.signal);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let seen = '';
    while (!seen.includes('"content"')) seen += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    await vi.waitFor(() => expect(sim.control.requests.find((r) => r.path === '/v1/chat/completions')?.clientClosedEarly).toBe(true), {
      timeout: 3_000,
    });
  });
});

describe('POST / on Studio', () => {
  it('answers 404 for a Studio UUID this API does not offer, without calling Studio', async () => {
    const res = await ask(SEED_REQUEST, '11111111-2222-4333-8444-555555555555');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'model_not_found', param: 'x-model-id' } });
    expect(sim.control.requests.filter((r) => r.path.includes('/generate'))).toEqual([]);
  });

  it('runs a job for a UUID, buffered and streamed, in the Hub shape', async () => {
    const body = (await (await ask(SEED_REQUEST, STUDIO)).json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(Object.keys(seedExample));
    expect(body.content).toContain('Simulated fine-tuned answer from qwen-gdpr-demo');
    const events = await frames(await ask(SEED_REQUEST, STUDIO, '?stream=true'));
    expect(events).toHaveLength(3);
    expect(events[0]).toEqual({ status: 'thinking' });
    expect(events[1]).toMatchObject({ content: expect.stringContaining('qwen-gdpr-demo') });
    expect(events[2]).toBe('[DONE]');
  });

  it('answers 502 for a failed job and 504 for a job that outlives the deadline', async () => {
    sim.control.studioJobs.push({ fail: 'adapter not loaded on gpu-node-7.internal (10.1.2.3)' });
    const failed = await ask(SEED_REQUEST, STUDIO);
    expect(failed.status).toBe(502);
    const { message } = ((await failed.json()) as { error: { message: string } }).error;
    expect(message).toMatch(/^IONOS AI Model Studio could not complete the job \(it ended as FAILED\)/);
    expect(message).not.toMatch(/adapter|internal|10\.1\.2\.3/); // Studio's own text stays in the logs
    sim.control.studioJobs.push({ hang: true });
    expect((await ask(SEED_REQUEST, STUDIO)).status).toBe(504);
  });
});

describe('POST / bad input', () => {
  it.each([
    ['no x-model-id', SEED_REQUEST, null, 400, 'Missing x-model-id header'],
    ['a bad x-model-id', SEED_REQUEST, 'gpt-4', 400, 'provider/name'],
    ['bad JSON', '{"messages": [', MISTRAL, 400, 'not valid JSON'],
    ['empty messages', { messages: [] }, MISTRAL, 400, 'at least one message'],
    ['an unknown type', { messages: [{ type: 'robot', content: 'x' }] }, MISTRAL, 400, 'messages[0].type'],
    [
      'a tool result without its call',
      { messages: [{ type: 'tool', content: 'x', tool_call_id: 'c9' }] },
      MISTRAL,
      400,
      'no earlier ai message',
    ],
    ['an oversized body', { messages: [{ type: 'human', content: 'x'.repeat(1_100_000) }] }, MISTRAL, 413, 'larger than the limit'],
  ])('answers %s with a 4xx whose message says why', async (_name, body, model, status, message) => {
    const res = await ask(body, model);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(message);
    expect(chatRequests()).toHaveLength(0);
  });
});
