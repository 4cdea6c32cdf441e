// The Responses API bridge through the local API (as npm start serves it) and the simulator, driven by the
// official openai SDK's `responses.create` and `responses.stream`: text, function tools and their round
// trip, structured output, streamed events in order ending equal to the buffered answer, and the 400s for
// what the Hub cannot serve; and by the Vercel AI SDK's default `openai` provider (which speaks Responses).
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { STUDIO_MODELS } from '#infra/offline/ionos-simulator/catalogue.ts';
import type { Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { startLocalStack, type LocalStack } from '#test/helpers/local-stack.ts';

const CHAT = 'mistralai/Mistral-Small-24B-Instruct';
const WEATHER = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Weather of a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
};
let stack: LocalStack;
let sim: Simulator;
let client: OpenAI;

beforeAll(async () => {
  stack = await startLocalStack();
  sim = stack.sim;
  client = new OpenAI({ baseURL: `${stack.api.url}/v1`, apiKey: 'my-api-key-for-this-backend', maxRetries: 0 });
});
afterAll(() => stack.close());
beforeEach(() => sim.control.reset());

/** What the Hub received as the last chat completion. */
const lastChat = () =>
  JSON.parse(sim.control.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)?.body ?? '{}') as Record<string, unknown>;
/**
 * A response without what differs between two calls (ids, time) and without what the SDK's parse helper adds
 * to a streamed final response on its side (`output_parsed`, `parsed`).
 */
const comparable = (r: unknown) =>
  JSON.parse(
    JSON.stringify(r, (key, value: unknown) => (key === 'parsed' || key === 'output_parsed' ? undefined : value))
      .replace(/"(resp|msg|fc)_[0-9a-f]{48}"/g, '"$1_x"')
      .replace(/"created_at":\d+/, '"created_at":0')
      // Two requests finish at their own second: the clock is compared separately, not across them.
      .replace(/"completed_at":\d+/, '"completed_at":0'),
  ) as unknown;

describe('POST /v1/responses with the openai SDK', () => {
  it('answers text input with a response object, output_text and usage', async () => {
    const response = await client.responses.create({ model: CHAT, instructions: 'Be brief.', input: 'Hello responses' });
    expect(response).toMatchObject({ object: 'response', status: 'completed', model: CHAT, instructions: 'Be brief.', error: null });
    expect(response.id).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(response.output_text).toContain('Hello responses');
    expect(response.output).toEqual([
      {
        id: expect.stringMatching(/^msg_/),
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [expect.objectContaining({ type: 'output_text' })],
      },
    ]);
    expect(response.usage).toMatchObject({ input_tokens: expect.any(Number), output_tokens: expect.any(Number) });
    expect(response.usage?.total_tokens).toBe((response.usage?.input_tokens ?? 0) + (response.usage?.output_tokens ?? 0));
    expect(lastChat()).toMatchObject({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello responses' },
      ],
    });
  });

  it('calls function tools and takes their output back (a round trip)', async () => {
    sim.control.chatReplies.push({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Berlin' }, id: 'call_berlin' }] });
    const first = await client.responses.create({ model: CHAT, input: 'Weather in Berlin?', tools: [WEATHER], tool_choice: 'auto' });
    expect(first.output).toEqual([
      {
        id: expect.stringMatching(/^fc_/),
        type: 'function_call',
        status: 'completed',
        call_id: 'call_berlin',
        name: 'get_weather',
        arguments: '{"city":"Berlin"}',
      },
    ]);
    expect(lastChat()).toMatchObject({
      tools: [{ type: 'function', function: { name: 'get_weather', strict: true, parameters: WEATHER.parameters } }],
      tool_choice: 'auto',
    });
    sim.control.chatReplies.push({ content: 'Sunny, 21 °C.' });
    const second = await client.responses.create({
      model: CHAT,
      tools: [WEATHER],
      input: [
        { role: 'user', content: 'Weather in Berlin?' },
        ...(first.output as OpenAI.Responses.ResponseInputItem[]),
        { type: 'function_call_output', call_id: 'call_berlin', output: '{"sky":"sunny","celsius":21}' },
      ],
    });
    expect(second.output_text).toBe('Sunny, 21 °C.');
    expect(lastChat().messages).toEqual([
      { role: 'user', content: 'Weather in Berlin?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_berlin', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Berlin"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_berlin', content: '{"sky":"sunny","celsius":21}' },
    ]);
  });

  it('asks for structured output with text.format json_schema', async () => {
    sim.control.chatReplies.push({ content: '{"city":"Berlin","celsius":21}' });
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, celsius: { type: 'number' } },
      required: ['city', 'celsius'],
      additionalProperties: false,
    };
    const response = await client.responses.create({
      model: CHAT,
      input: 'Weather as JSON',
      text: { format: { type: 'json_schema', name: 'weather', schema, strict: true } },
    });
    expect(JSON.parse(response.output_text)).toEqual({ city: 'Berlin', celsius: 21 });
    expect(response.text).toEqual({ format: { type: 'json_schema', name: 'weather', schema, strict: true } });
    expect(lastChat().response_format).toEqual({ type: 'json_schema', json_schema: { name: 'weather', schema, strict: true } });
  });

  it('streams the documented events in order, ending with a response equal to the buffered one', async () => {
    const script = { content: 'Streaming works fine today.', usage: { prompt_tokens: 9, completion_tokens: 5 } };
    sim.control.chatReplies.push(script);
    const buffered = await client.responses.create({ model: CHAT, input: 'Stream please' });
    sim.control.chatReplies.push(script);
    const stream = client.responses.stream({ model: CHAT, input: 'Stream please' });
    const types: string[] = [];
    const sequence: number[] = [];
    for await (const event of stream) {
      types.push(event.type);
      sequence.push(event.sequence_number);
    }
    const final = await stream.finalResponse();
    const deltas = types.filter((t) => t === 'response.output_text.delta').length;
    expect(deltas).toBeGreaterThan(2);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...Array<string>(deltas).fill('response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(sequence).toEqual(types.map((_, i) => i));
    expect(comparable(final)).toEqual(comparable(buffered));
    for (const r of [final, buffered]) expect(r.completed_at).toBeGreaterThanOrEqual(r.created_at);
    expect(lastChat()).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('streams a function call with its arguments split across chunks', async () => {
    sim.control.chatReplies.push({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Hamburg' }, id: 'call_hh' }] });
    const stream = client.responses.stream({ model: CHAT, input: 'Weather in Hamburg?', tools: [WEATHER] });
    const argDeltas: string[] = [];
    let done = '';
    stream.on('response.function_call_arguments.delta', (e) => argDeltas.push(e.delta));
    stream.on('response.function_call_arguments.done', (e) => (done = e.arguments));
    const final = await stream.finalResponse();
    expect(argDeltas.length).toBe(2);
    expect(argDeltas.join('')).toBe('{"city":"Hamburg"}');
    expect(done).toBe('{"city":"Hamburg"}');
    expect(final.output).toEqual([
      expect.objectContaining({ type: 'function_call', call_id: 'call_hh', name: 'get_weather', arguments: '{"city":"Hamburg"}' }),
    ]);
  });

  it('serves a fine-tuned Studio model (UUID) as chat completions do, buffered and streamed', async () => {
    const model = STUDIO_MODELS['qwen-gdpr-demo'] as string;
    sim.control.studioJobs.push({ result: 'Antwort vom Studio.' }, { result: 'Antwort vom Studio.' });
    const buffered = await client.responses.create({ model, input: 'Hallo Studio' });
    expect(buffered).toMatchObject({ status: 'completed', output_text: 'Antwort vom Studio.' });
    const streamed = await client.responses.stream({ model, input: 'Hallo Studio' }).finalResponse();
    expect(streamed.output_text).toBe('Antwort vom Studio.');
    expect(sim.control.requests.filter((r) => r.path.endsWith('/generate'))).toHaveLength(2);
  });

  it('marks a response cut by max_output_tokens as incomplete', async () => {
    sim.control.chatReplies.push({ content: 'Cut here', finishReason: 'length' });
    const response = await client.responses.create({ model: CHAT, input: 'Long story', max_output_tokens: 16 });
    expect(response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, max_output_tokens: 16 });
    expect(lastChat().max_tokens).toBe(16);
  });

  it.each([
    ['tools[0].type', { tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }] }],
    ['background', { background: true }],
    ['previous_response_id', { previous_response_id: 'resp_123' }],
    ['conversation', { conversation: 'conv_1' }],
    ['include[0]', { include: ['message.output_text.logprobs'] }],
    ['input[0].content[0]', { input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file_1' }] }] }],
  ])('refuses what the Hub cannot serve with a 400 naming %s', async (param, extra) => {
    const err = await client.responses
      .create({ model: CHAT, input: 'x', ...extra } as OpenAI.Responses.ResponseCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ param, type: 'invalid_request_error' });
    expect(sim.control.requests.filter((r) => r.path === '/v1/chat/completions')).toEqual([]);
  });
});

describe('the Vercel AI SDK default openai provider', () => {
  const provider = () => createOpenAI({ baseURL: `${stack.api.url}/v1`, apiKey: 'my-api-key-for-this-backend' });

  it('generates text through /v1/responses', async () => {
    const paths: string[] = [];
    const seen = (req: { url?: string }) => paths.push(req.url ?? '');
    stack.api.server.on('request', seen);
    const { text, usage } = await generateText({ model: provider()(CHAT), prompt: 'Hello from the AI SDK', maxRetries: 0 }).finally(() =>
      stack.api.server.off('request', seen),
    );
    expect(paths).toEqual(['/v1/responses']);
    expect(text).toContain('Hello from the AI SDK');
    expect(usage.inputTokens).toBeGreaterThan(0);
    expect(sim.control.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(1);
  });

  it('streams text and calls a tool', async () => {
    sim.control.chatReplies.push({ content: 'Streaming from the bridge.' });
    const streamed = streamText({ model: provider()(CHAT), prompt: 'Stream', maxRetries: 0 });
    let text = '';
    for await (const part of streamed.textStream) text += part;
    expect(text).toBe('Streaming from the bridge.');

    sim.control.chatReplies.push({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Köln' }, id: 'call_k' }] });
    const result = await generateText({
      model: provider()(CHAT),
      prompt: 'Weather in Köln?',
      maxRetries: 0,
      tools: {
        get_weather: tool({
          description: 'Weather of a city',
          inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
        }),
      },
    });
    expect(result.toolCalls).toEqual([expect.objectContaining({ toolName: 'get_weather', input: { city: 'Köln' }, toolCallId: 'call_k' })]);
  });
});
