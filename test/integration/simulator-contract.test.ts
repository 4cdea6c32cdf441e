// Contract tests: every success answer of the simulator validates against the IONOS schemas extracted
// from the seed specs, so the simulator cannot drift from IONOS.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatorFor } from '#infra/offline/ionos-simulator/validation.ts';
import type { Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { extractSchemas, SCHEMA_COPY, SEEDS_DIR } from '#test/contract/seed-schemas.ts';
import { readSse } from '#test/helpers/sse.ts';
import { SENTINELS, startTestSimulator } from '#test/helpers/sentinels.ts';

let sim: Simulator;
const auth = { authorization: `Bearer ${SENTINELS.ionosApiToken}`, 'content-type': 'application/json' };
const post = (path: string, body: unknown) => fetch(`${sim.url}${path}`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
const CHAT = 'meta-llama/Llama-3.3-70B-Instruct';

function expectValid(schema: string, value: unknown) {
  const validate = validatorFor(schema);
  expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
}

beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(() => sim.close());

describe('simulator contract', () => {
  it('keeps its schema copy equal to the seed specs', () => {
    expect(JSON.parse(readFileSync(SCHEMA_COPY, 'utf8'))).toEqual(extractSchemas(SEEDS_DIR));
  });

  it('GET /v1/models', async () => {
    const res = await fetch(`${sim.url}/v1/models`, { headers: auth });
    expect(res.status).toBe(200);
    expectValid('ModelsListResponse', await res.json());
  });

  it('POST /v1/chat/completions, with n choices and usage', async () => {
    const res = await post('/v1/chat/completions', { model: CHAT, messages: [{ role: 'user', content: 'Hello' }], n: 2 });
    const body = (await res.json()) as { choices: { message: { content: string } }[]; usage: { total_tokens: number } };
    expectValid('SuccessfulChatCompletionResponse', body);
    expect(body.choices).toHaveLength(2);
    expect(body.choices[0]?.message.content).toContain('Hello');
    expect(body.usage.total_tokens).toBeGreaterThan(0);
  });

  it('answers a forced tool choice with tool_calls that validate', async () => {
    const tools = [
      { type: 'function', function: { name: 'web_search', parameters: { type: 'object', properties: { query: { type: 'string' } } } } },
    ];
    const res = await post('/v1/chat/completions', {
      model: CHAT,
      messages: [{ role: 'user', content: 'weather Berlin' }],
      tools,
      tool_choice: 'required',
    });
    const body = (await res.json()) as {
      choices: { finish_reason: string; message: { tool_calls: { function: { name: string; arguments: string } }[] } }[];
    };
    expectValid('SuccessfulChatCompletionResponse', body);
    expect(body.choices[0]?.finish_reason).toBe('tool_calls');
    expect(body.choices[0]?.message.tool_calls[0]?.function).toEqual({ name: 'web_search', arguments: '{"query":"weather Berlin"}' });
  });

  it('streams chat chunks ending in [DONE], with a usage chunk when asked', async () => {
    const res = await post('/v1/chat/completions', {
      model: CHAT,
      messages: [{ role: 'user', content: 'Hi there' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events = await readSse(res);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events
      .slice(0, -1)
      .map((e) => JSON.parse(e) as { object: string; choices: { delta: { content?: string } }[]; usage?: { total_tokens: number } });
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toContain('Hi there');
    expect(chunks.at(-1)?.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('POST /v1/completions', async () => {
    const res = await post('/v1/completions', { model: CHAT, prompt: 'Once upon a time' });
    expectValid('SuccessfulCompletionResponse', await res.json());
  });

  it('POST /v1/embeddings, deterministic and normalised', async () => {
    const body = async () =>
      (await (await post('/v1/embeddings', { model: 'intfloat/e5-large-v2', input: ['a', 'b'] })).json()) as {
        data: { embedding: number[] }[];
      };
    const first = await body();
    expectValid('EmbeddingResponse', first);
    expect(first.data).toHaveLength(2);
    expect(first.data[0]?.embedding).toHaveLength(1024);
    expect(first).toEqual(await body());
  });

  it('POST /v1/images/generations returns b64_json', async () => {
    const res = await post('/v1/images/generations', {
      model: 'stabilityai/stable-diffusion-xl-base-1.0',
      prompt: 'a cat',
      size: '1024*1024',
    });
    const body = (await res.json()) as { data: { b64_json: string }[] };
    expectValid('ImageGenerationResponse', body);
    expect(
      Buffer.from(body.data[0]?.b64_json ?? '', 'base64')
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
  });

  it('rejects invalid requests with the IONOS native error format', async () => {
    const cases = [
      post('/v1/chat/completions', { messages: [] }),
      post('/v1/chat/completions', { model: 'no/such-model', messages: [{ role: 'user', content: 'x' }] }),
      post('/v1/images/generations', { model: 'stabilityai/stable-diffusion-xl-base-1.0', prompt: 'x', size: '10*10' }),
      post('/v1/embeddings', { model: CHAT, input: 'x' }),
    ];
    for (const res of await Promise.all(cases)) {
      expect([400, 404]).toContain(res.status);
      const body = (await res.json()) as { httpStatus: number; messages: { message: string }[] };
      expect(body.httpStatus).toBe(res.status);
      expect(body.messages[0]?.message.length).toBeGreaterThan(5);
    }
  });

  it('refuses tools for a model without tool support', async () => {
    const res = await post('/v1/chat/completions', {
      model: 'meta-llama/Meta-Llama-3-70B-Instruct',
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ type: 'function', function: { name: 'f' } }],
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('does not support tools');
  });
});
