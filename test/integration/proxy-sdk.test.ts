// The promise to users: the official OpenAI SDK (and LangChain's ChatOpenAI) work against /v1 by changing
// only baseURL and apiKey. Local server + simulator over loopback.
import { ChatOpenAI } from '@langchain/openai';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalApi } from '#infra/offline/api-gateway/server.ts';
import { STUDIO_MODELS } from '#infra/offline/ionos-simulator/catalogue.ts';
import type { Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { startLocalStack, type LocalStack } from '#test/helpers/local-stack.ts';
import { SENTINELS } from '#test/helpers/sentinels.ts';

const CHAT = 'mistralai/Mistral-Small-24B-Instruct';
let stack: LocalStack;
let sim: Simulator;
let api: LocalApi;
let client: OpenAI;

beforeAll(async () => {
  stack = await startLocalStack();
  ({ sim, api } = stack);
  client = new OpenAI({ baseURL: `${api.url}/v1`, apiKey: 'my-api-key-for-this-backend', maxRetries: 0 });
});
afterAll(() => stack.close());
beforeEach(() => sim.control.reset());

describe('official openai SDK against /v1', () => {
  it('lists models', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toContain(CHAT);
  });

  it('creates a chat completion', async () => {
    const completion = await client.chat.completions.create({ model: CHAT, messages: [{ role: 'user', content: 'Hello proxy' }] });
    expect(completion.choices[0]?.message.content).toContain('Hello proxy');
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('forwards rerank (POST /v1/rerank) and relays its validation errors', async () => {
    const ranked = await client.post('/rerank', {
      body: {
        model: 'BAAI/bge-reranker-v2-m3',
        query: 'What is the capital of France?',
        documents: ['Berlin is the capital of Germany.', 'Paris is the capital of France.', 'Cows are animals.'],
        top_n: 2,
        return_documents: true,
      },
    });
    expect(ranked).toMatchObject({
      model: 'BAAI/bge-reranker-v2-m3',
      results: [
        { index: 1, relevance_score: expect.any(Number), document: { text: 'Paris is the capital of France.' } },
        { index: 0, relevance_score: expect.any(Number) },
      ],
      usage: { total_tokens: expect.any(Number) },
    });
    const missing = await client.post('/rerank', { body: { model: 'BAAI/bge-reranker-v2-m3', documents: ['a'] } }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.BadRequestError);
    expect((missing as InstanceType<typeof OpenAI.BadRequestError>).message).toContain('"query"');
  });

  it('forwards image edits (multipart) with the very bytes the client sent, and checks them first', async () => {
    // A PNG signature and bytes that are not valid UTF-8: passed as text anywhere on the way, they would change.
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37) % 256)),
    ]);
    const image = () => toFile(png, 'photo.png', { type: 'image/png' });
    const edited = await client.images.edit({ model: 'black-forest-labs/FLUX.1-schnell', image: await image(), prompt: 'Add a hat', n: 2 });
    expect(edited.data).toHaveLength(2);
    const seen = sim.control.requests.find((r) => r.path === '/v1/images/edits');
    expect(seen?.raw?.includes(png)).toBe(true);
    expect(String(seen?.headers['content-type'])).toMatch(/^multipart\/form-data; boundary=/);

    const tooMany = await client.images
      .edit({ model: 'black-forest-labs/FLUX.1-schnell', image: await image(), prompt: 'x', n: 9 })
      .catch((e: unknown) => e);
    expect((tooMany as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ code: 'limit_exceeded', param: 'n' });
    const asJson = await fetch(`${api.url}/v1/images/edits`, {
      method: 'POST',
      body: JSON.stringify({ model: 'black-forest-labs/FLUX.1-schnell', prompt: 'x' }),
    });
    expect(asJson.status).toBe(400);
    expect(await asJson.json()).toMatchObject({ error: { code: 'invalid_content_type' } });
    const form = new FormData();
    form.set('model', 'black-forest-labs/FLUX.1-schnell');
    form.set('prompt', 'no image');
    const noImage = await fetch(`${api.url}/v1/images/edits`, { method: 'POST', body: form });
    expect(await noImage.json()).toMatchObject({ error: { code: 'missing_image', param: 'image' } });
    // A field checked on one copy and forwarded with all: n=64 then n=1, or two models.
    for (const [field, values] of [
      ['n', ['64', '1']],
      ['model', ['black-forest-labs/FLUX.1-schnell', 'other/model']],
    ] as const) {
      const repeated = new FormData();
      repeated.set('model', 'black-forest-labs/FLUX.1-schnell');
      repeated.set('prompt', 'x');
      repeated.set(field, values[0]);
      repeated.append(field, values[1]);
      repeated.set('image', new Blob([png], { type: 'image/png' }), 'photo.png');
      const res = await fetch(`${api.url}/v1/images/edits`, { method: 'POST', body: repeated });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        error: { code: 'duplicate_field', param: field, message: expect.stringContaining(`"${field}"`) },
      });
    }
    expect(sim.control.requests.filter((r) => r.path === '/v1/images/edits')).toHaveLength(1);
  });

  it('forwards tools and returns tool calls', async () => {
    const completion = await client.chat.completions.create({
      model: CHAT,
      messages: [{ role: 'user', content: 'weather in Berlin' }],
      tools: [
        { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    const call = completion.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' ? call.function : undefined).toEqual({
      name: 'get_weather',
      arguments: '{"city":"weather in Berlin"}',
    });
  });

  it('streams a chat completion with usage in the last chunk', async () => {
    const stream = await client.chat.completions.create({
      model: CHAT,
      messages: [{ role: 'user', content: 'Stream me' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let chunks = 0;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(chunks).toBeGreaterThan(3);
    expect(text).toContain('Stream me');
    expect(usage?.total_tokens).toBeGreaterThan(0);
  });

  it('creates completions, embeddings and images', async () => {
    const completion = await client.completions.create({ model: CHAT, prompt: 'Once upon a time' });
    expect(completion.choices[0]?.text).toContain('Simulated completion');
    const embedding = await client.embeddings.create({ model: 'intfloat/e5-large-v2', input: ['a', 'b'] });
    expect(embedding.data).toHaveLength(2);
    expect(embedding.data[0]?.embedding).toHaveLength(1024);
    const image = await client.images.generate({
      model: 'stabilityai/stable-diffusion-xl-base-1.0',
      prompt: 'a cat',
      size: '1024*1024' as '1024x1024',
    });
    expect(image.data?.[0]?.b64_json?.length).toBeGreaterThan(20);
  });

  it('surfaces a Hub 429 as the SDK rate-limit error, with Retry-After and rate headers', async () => {
    sim.control.faults.push({
      path: '/v1/chat/completions',
      status: 429,
      retryAfter: 7,
      errorFormat: 'openai',
      errorMessage: 'Rate limit exceeded',
    });
    const err = await client.chat.completions.create({ model: CHAT, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('7');
    expect((err as Error).message).toContain('Rate limit exceeded');
  });

  it('lets the SDK back off on Retry-After by itself', async () => {
    sim.control.faults.push({ path: '/v1/chat/completions', status: 429, retryAfter: 1 });
    const retrying = new OpenAI({ baseURL: `${api.url}/v1`, apiKey: 'k', maxRetries: 1 });
    await expect(retrying.chat.completions.create({ model: CHAT, messages: [{ role: 'user', content: 'x' }] })).resolves.toBeTruthy();
    expect(sim.control.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(2);
  });

  it('surfaces an IONOS native error with its message', async () => {
    sim.control.faults.push({ path: '/v1/chat/completions', status: 400, errorMessage: 'max_tokens must be at most 4096' });
    const err = await client.chat.completions
      .create({ model: CHAT, messages: [{ role: 'user', content: 'x' }], max_tokens: 9_999 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain('max_tokens must be at most 4096');
  });

  it('refuses what one request may not ask for as a BadRequestError naming the field, before IONOS', async () => {
    const err = await client.chat.completions
      .create({ model: CHAT, messages: [{ role: 'user', content: 'x' }], max_tokens: 10_000_000, n: 128 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ param: 'max_tokens', code: 'limit_exceeded' });
    expect(sim.control.requests.filter((r) => r.path === '/v1/chat/completions' && r.body.includes('10000000'))).toEqual([]);
  });

  it('never sends the client key upstream, only the server token', async () => {
    await client.models.list();
    const seen = sim.control.requests.at(-1);
    expect(seen?.headers.authorization).toBe(`Bearer ${SENTINELS.ionosApiToken}`);
    expect(JSON.stringify(seen?.headers)).not.toContain('my-api-key-for-this-backend');
  });
});

describe('fine-tuned Studio models through /v1', () => {
  const FINE_TUNED = STUDIO_MODELS['qwen-gdpr-demo'] as string;

  it('answers a chat completion for a Studio UUID, buffered and streamed', async () => {
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'Hallo Studio' },
    ];
    const completion = await client.chat.completions.create({ model: FINE_TUNED, messages });
    expect(completion.choices[0]?.message.content).toContain('Simulated fine-tuned answer from qwen-gdpr-demo');
    expect(completion.choices[0]?.message.content).toContain('Be brief.');
    let text = '';
    for await (const chunk of await client.chat.completions.create({ model: FINE_TUNED, messages, stream: true }))
      text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toContain('Hallo Studio');
    expect(sim.control.requests.filter((r) => r.path.includes('/studio/')).length).toBeGreaterThanOrEqual(4);
  });

  it('refuses a Studio UUID on endpoints Studio does not serve', async () => {
    const err = await client.embeddings.create({ model: FINE_TUNED, input: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain('chat completions only');
  });
});

describe("LangChain's ChatOpenAI against /v1", () => {
  const model = () => new ChatOpenAI({ model: CHAT, apiKey: 'k', configuration: { baseURL: `${api.url}/v1` }, maxRetries: 0 });

  it('invokes', async () => {
    const answer = await model().invoke('Hi from LangChain');
    expect(answer.content).toContain('Hi from LangChain');
  });

  it('streams', async () => {
    let text = '';
    for await (const chunk of await model().stream('Stream from LangChain')) text += String(chunk.content);
    expect(text).toContain('Stream from LangChain');
  });
});
