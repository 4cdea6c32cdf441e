import { AIMessage, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toFlatAIMessage, toLangChainMessages } from '#shared/agent/messages.ts';
import { keepRecent, limitConversation, parseAgentRequest, type FlatMessage } from '#shared/agent/request.ts';
import { studioAnswer, toStudioMessages } from '#shared/agent/studio.ts';
import { BadRequestError } from '#shared/errors.ts';
import { SEEDS_DIR } from '#test/contract/seed-schemas.ts';

const seedExample = JSON.parse(readFileSync(new URL('../contract/seed-agent-response.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>;

/** The key structure of a JSON value: objects by key, leaves by type. */
function shape(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]));
  return typeof value;
}

describe('parseAgentRequest', () => {
  it.each([
    [{}, 'messages'],
    [{ messages: [] }, 'messages'],
    [
      {
        messages: [
          { type: 'human', content: 'a' },
          { type: 'human', content: 'b' },
          { type: 'ai', content: 'c' },
          { type: 'human', content: 7 },
        ],
      },
      'messages[3].content',
    ],
    [{ messages: [{ type: 'robot', content: 'x' }] }, 'messages[0].type'],
    [{ messages: [{ type: 'human', content: [{ type: 'text', text: 1 }] }] }, 'messages[0].content'],
    [{ messages: [{ type: 'tool', content: 'x' }] }, 'messages[0].tool_call_id'],
    [{ messages: [{ type: 'human', content: 'x', name: 5 }] }, 'messages[0].name'],
    [{ messages: [{ type: 'ai', content: '', tool_calls: [{ id: 'c', name: 'f', args: 'x' }] }] }, 'messages[0].tool_calls[0].args'],
  ])('rejects %j naming %s', (body, param) => {
    try {
      parseAgentRequest(body);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).param).toBe(param);
      expect((err as Error).message).toContain(param);
    }
  });

  it('rejects a tool result whose tool call is not in an earlier ai message', () => {
    const body = {
      messages: [
        { type: 'human', content: 'q' },
        { type: 'tool', content: 'r', tool_call_id: 'call_1' },
      ],
    };
    expect(() => parseAgentRequest(body)).toThrow(/messages\[1\] is a tool result for tool_call_id "call_1"/);
  });

  it('accepts text and image parts, and ignores unknown fields', () => {
    const parsed = parseAgentRequest({
      messages: [
        {
          type: 'human',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AA' } },
          ],
          extra: true,
        },
      ],
    });
    expect(parsed[0]).toEqual({
      type: 'human',
      content: [
        { type: 'text', text: 'what is this?' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AA' } },
      ],
    });
  });

  it('accepts the exact AI message object a client received back', () => {
    const parsed = parseAgentRequest({
      messages: [{ type: 'human', content: 'Hi' }, seedExample, { type: 'human', content: 'And tomorrow?' }],
    });
    expect(parsed[1]).toEqual({ type: 'ai', content: seedExample.content, name: null, id: seedExample.id, tool_calls: [] });
  });
});

describe('keepRecent', () => {
  const human = (i: number): FlatMessage => ({ type: 'human', content: `h${i}` });
  const call: FlatMessage = {
    type: 'ai',
    content: '',
    tool_calls: [
      { id: 'c1', name: 'web_search', args: {} },
      { id: 'c2', name: 'web_search', args: {} },
    ],
  };
  const result = (id: string): FlatMessage => ({ type: 'tool', content: 'r', tool_call_id: id });

  it('keeps at most N messages in all, leading system messages first', () => {
    const messages: FlatMessage[] = [{ type: 'system', content: 's' }, ...Array.from({ length: 60 }, (_, i) => human(i))];
    const kept = keepRecent(messages, 50);
    expect(kept).toHaveLength(50);
    expect(kept[0]).toEqual({ type: 'system', content: 's' });
    expect(kept[1]).toEqual(human(11));
  });

  it('does not let leading system messages bypass the cap (3,000 system + 100 human)', () => {
    const messages: FlatMessage[] = [
      ...Array.from({ length: 3000 }, (): FlatMessage => ({ type: 'system', content: 's' })),
      ...Array.from({ length: 100 }, (_, i) => human(i)),
    ];
    expect(() => keepRecent(messages, 50)).toThrow(/starts with 3000 system messages; at most 49 fit/);
    const few: FlatMessage[] = [
      ...Array.from({ length: 10 }, (): FlatMessage => ({ type: 'system', content: 's' })),
      ...Array.from({ length: 100 }, (_, i) => human(i)),
    ];
    const kept = keepRecent(few, 50);
    expect(kept).toHaveLength(50);
    expect(kept.at(-1)).toEqual(human(99));
  });

  it('caps the characters of the kept conversation, naming the limit', () => {
    const long: FlatMessage[] = [
      { type: 'human', content: 'x'.repeat(600) },
      {
        type: 'human',
        content: [
          { type: 'text', text: 'y'.repeat(500) },
          { type: 'image_url', image_url: 'data:image/png;base64,' + 'A'.repeat(5000) },
        ],
      },
    ];
    expect(() => limitConversation(long, { maxMessages: 50, maxChars: 1_000 })).toThrow(
      expect.objectContaining({
        status: 400,
        code: 'conversation_too_long',
        message: expect.stringContaining("1100 characters of text, above this API's limit of 1000"),
      }),
    );
    expect(limitConversation(long, { maxMessages: 1, maxChars: 1_000 })).toHaveLength(1); // the older message is not kept, so it does not count
  });

  it('never starts with tool results whose tool call was cut off', () => {
    const messages = [human(0), call, result('c1'), result('c2'), human(1)];
    expect(keepRecent(messages, 3)).toEqual([human(1)]);
    expect(keepRecent(messages, 4)).toEqual([call, result('c1'), result('c2'), human(1)]);
  });
});

describe('message conversion', () => {
  it('converts flat messages to LangChain.js messages', () => {
    const [h, ai, tool, sys] = toLangChainMessages([
      { type: 'human', content: 'q', name: 'ana' },
      { type: 'ai', content: '', tool_calls: [{ id: 'c1', name: 'web_search', args: { query: 'q' } }] },
      { type: 'tool', content: 'r', tool_call_id: 'c1' },
      { type: 'system', content: 's' },
    ]);
    expect(h).toBeInstanceOf(HumanMessage);
    expect(h?.name).toBe('ana');
    expect((ai as AIMessage).tool_calls).toEqual([{ id: 'c1', name: 'web_search', args: { query: 'q' }, type: 'tool_call' }]);
    expect((tool as ToolMessage).tool_call_id).toBe('c1');
    expect(sys).toBeInstanceOf(SystemMessage);
  });

  it('builds the response with the same keys and value types as the seed example', () => {
    const first = new AIMessage({
      content: '',
      tool_calls: [{ id: 'c', name: 'web_search', args: {} }],
      usage_metadata: { input_tokens: 500, output_tokens: 20, total_tokens: 520 },
    });
    const final = new AIMessage({
      content: 'The weather in Berlin…',
      id: 'chatcmpl-1',
      response_metadata: { model_name: 'mistralai/Mistral-Small-24B-Instruct', finish_reason: 'stop', system_fingerprint: null },
      usage_metadata: { input_tokens: 506, output_tokens: 161, total_tokens: 667 },
    });
    const flat = toFlatAIMessage(
      final,
      [first, new ToolMessage({ content: 'r', tool_call_id: 'c' }), final],
      'fa6dbcb0-2c5d-4f12-bd51-4cd6dfefc81f',
      'mistralai/Mistral-Small-24B-Instruct',
    );
    expect(shape(flat)).toEqual(shape(seedExample));
    expect(flat.id).toBe('run--fa6dbcb0-2c5d-4f12-bd51-4cd6dfefc81f-0');
    expect(flat.usage_metadata).toEqual({
      input_tokens: 1006,
      output_tokens: 181,
      total_tokens: 1187,
      input_token_details: {},
      output_token_details: {},
    });
    expect(flat.response_metadata.token_usage).toEqual(
      seedExample.response_metadata && (seedExample.response_metadata as { token_usage: unknown }).token_usage,
    );
  });

  it('keeps the fixture equal to the seed document', () => {
    const seed = join(SEEDS_DIR, 'original-backend-api.md');
    const json = /Example Response:\n(\{[\s\S]*?\n\})Note:/.exec(readFileSync(seed, 'utf8'))?.[1];
    expect(JSON.parse(json ?? 'null')).toEqual(seedExample);
  });
});

describe('Studio mapping', () => {
  it('maps roles, keeps system text as a prefix of the first user turn, and drops tool traffic', () => {
    const turns = toStudioMessages([
      { type: 'system', content: 'Be brief.' },
      { type: 'human', content: 'Hi' },
      { type: 'ai', content: '', tool_calls: [{ id: 'c', name: 'web_search', args: {} }] },
      { type: 'tool', content: 'r', tool_call_id: 'c' },
      { type: 'ai', content: 'Hello!' },
      { type: 'human', content: [{ type: 'text', text: 'Bye' }] },
    ]);
    expect(turns).toEqual([
      { role: 'user', content: 'Be brief.\n\nHi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'Bye' },
    ]);
  });

  it('needs a human message', () => {
    expect(() => toStudioMessages([{ type: 'system', content: 's' }])).toThrow(BadRequestError);
  });

  it('answers in the same shape as the Hub', () => {
    expect(Object.keys(studioAnswer('x', 'job', 'uuid', 'run'))).toEqual(Object.keys(seedExample));
  });
});
