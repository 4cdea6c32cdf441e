// The Responses bridge's translation both ways, on golden cases: request items to chat messages (roles,
// images, a tool-call round trip), refusals, a chat completion to a response, and a chat stream to the
// Responses events, cut at every byte so events split across chunks translate the same.
import { describe, expect, it, vi } from 'vitest';
import { BadRequestError } from '#shared/errors.ts';
import { toMessages } from '#shared/responses/input.ts';
import { toChatRequest, type ResponsesRequestEcho } from '#shared/responses/request.ts';
import { toChatTools } from '#shared/responses/tools.ts';
import { ignoredParameterDimension } from '#shared/metrics.ts';
import { eventErrors } from '#test/helpers/open-responses.ts';
import { ResponsesStreamTranslator } from '#shared/responses/stream.ts';

const MODEL = 'mistralai/Mistral-Small-24B-Instruct';
const NO_TOOLS = toChatTools(undefined, false);

/** The response of one buffered chat completion, as the bridge builds it (the translator, fed it whole). */
function fromChatCompletion(completion: unknown, echo: ResponsesRequestEcho) {
  const translator = new ResponsesStreamTranslator(echo, NO_TOOLS);
  let response: Record<string, unknown> = {};
  translator.completion(completion);
  translator.endRound();
  translator.end((final) => (response = final));
  return response;
}

describe('request → chat', () => {
  it('turns input items into messages: roles, text and image parts, merged parallel calls, tool outputs', () => {
    expect(
      toMessages(
        [
          { role: 'developer', content: 'Answer in German.' },
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'What is this?' },
              { type: 'input_image', image_url: 'https://x.test/a.png', detail: 'low' },
            ],
          },
          { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Ein Bild.' }] },
          { type: 'function_call', call_id: 'c1', name: 'a', arguments: '{}' },
          { type: 'function_call', call_id: 'c2', name: 'b', arguments: '{"x":1}' },
          { type: 'function_call_output', call_id: 'c1', output: 'A' },
          { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'B' }] },
        ],
        'Be brief.',
        NO_TOOLS,
      ),
    ).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'system', content: 'Answer in German.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'https://x.test/a.png', detail: 'low' } },
        ],
      },
      { role: 'assistant', content: 'Ein Bild.' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'a', arguments: '{}' } },
          { id: 'c2', type: 'function', function: { name: 'b', arguments: '{"x":1}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'A' },
      { role: 'tool', tool_call_id: 'c2', content: 'B' },
    ]);
  });

  it('maps the settings: tools, tool_choice, max_output_tokens, text.format, user, stream with usage', () => {
    const { chat, stream, echo } = toChatRequest({
      model: MODEL,
      input: 'hi',
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object' }, strict: false }],
      tool_choice: { type: 'function', name: 'f' },
      parallel_tool_calls: false,
      max_output_tokens: 50,
      temperature: 0.2,
      text: { format: { type: 'json_object' } },
      user: 'u1',
      metadata: { k: 'v' },
      stream: true,
    });
    expect(stream).toBe(true);
    expect(chat).toEqual({
      model: MODEL,
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'f', description: undefined, parameters: { type: 'object' }, strict: false } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      parallel_tool_calls: false,
      max_tokens: 50,
      temperature: 0.2,
      response_format: { type: 'json_object' },
      user: 'u1',
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(echo).toMatchObject({ metadata: { k: 'v' }, max_output_tokens: 50, parallel_tool_calls: false, store: true });
  });

  it.each([
    [{ tools: [{ type: 'file_search' }] }, 'tools[0].type'],
    [{ tools: [{ type: 'computer_use_preview' }] }, 'tools[0].type'],
    [{ background: true }, 'background'],
    [{ include: ['message.output_text.logprobs'] }, 'include[0]'],
    [{ top_logprobs: 3 }, 'top_logprobs'],
    [{ conversation: 'conv_1' }, 'conversation'],
    [{ prompt: { id: 'pmpt_1' } }, 'prompt'],
    [{ tools: [{ type: 'web_search' }] }, 'tools[0].type'],
    [{ tools: [{ type: 'code_interpreter' }] }, 'tools[0].type'],
    [{ tools: [{ type: 'namespace', name: 'n', tools: [{ type: 'mcp' }] }] }, 'tools[0].tools[0].type'],
    [{ input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }] }, 'input[0].content[0]'],
    [{ input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0].type'],
    [{ text: { format: { type: 'json_schema' } } }, 'text.format'],
    [{ input: [] }, 'input'],
    [{ model: '' }, 'model'],
  ])('refuses %j naming %s', (extra, param) => {
    try {
      toChatRequest({ model: MODEL, input: 'x', ...extra });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).param).toBe(param);
    }
  });
});

describe('chat → response', () => {
  const { echo } = toChatRequest({ model: MODEL, input: 'x' });

  it('turns text and tool calls into output items, and usage into input/output tokens', () => {
    vi.useFakeTimers({ now: 1_700_000_000_000, toFake: ['Date'] });
    const response = fromChatCompletion(
      {
        model: MODEL,
        choices: [
          {
            finish_reason: 'tool_calls',
            message: { content: 'Let me look.', tool_calls: [{ id: 'c1', function: { name: 'f', arguments: '{}' } }] },
          },
        ],
        usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
      },
      echo,
    );
    vi.useRealTimers();
    expect(response).toMatchObject({
      object: 'response',
      created_at: 1_700_000_000,
      status: 'completed',
      incomplete_details: null,
      output: [
        {
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: 'Let me look.', annotations: [] }],
        },
        { type: 'function_call', status: 'completed', call_id: 'c1', name: 'f', arguments: '{}' },
      ],
      usage: { input_tokens: 7, output_tokens: 3, total_tokens: 10, input_tokens_details: { cached_tokens: 0 } },
    });
  });
});

describe('chat stream → response events', () => {
  const { echo } = toChatRequest({ model: MODEL, input: 'x', stream: true });
  const chunk = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({ model: MODEL, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const upstream = [
    chunk({ role: 'assistant', content: '' }),
    chunk({ content: 'Hel' }),
    chunk({ content: 'lo' }),
    chunk({ tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a"' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }),
    chunk({}, 'tool_calls'),
    `data: ${JSON.stringify({ model: MODEL, choices: [], usage: { prompt_tokens: 4, completion_tokens: 6, total_tokens: 10 } })}\n\n`,
    'data: [DONE]\n\n',
  ].join('');
  const events = (sse: string) =>
    sse
      .split('\n\n')
      .filter(Boolean)
      .map((e) => JSON.parse(e.split('\n')[1]?.slice(6) ?? '{}') as { type: string; sequence_number: number; [k: string]: unknown });

  const translate = (pieces: string[]) => {
    const t = new ResponsesStreamTranslator(echo);
    return events(t.start() + pieces.map((p) => t.push(p)).join('') + t.end());
  };

  it('emits the documented sequence for text followed by a function call', () => {
    const out = translate([upstream]);
    expect(out.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(out.map((e) => e.sequence_number)).toEqual(out.map((_, i) => i));
    expect(out.at(-1)).toMatchObject({
      response: {
        status: 'completed',
        output: [
          { type: 'message', content: [{ text: 'Hello' }] },
          { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{"a":1}' },
        ],
        usage: { input_tokens: 4, output_tokens: 6, total_tokens: 10 },
      },
    });
  });

  it('translates the same whatever the chunk boundaries (events split anywhere)', () => {
    const whole = translate([upstream]).map(({ type, delta, arguments: args }) => ({ type, delta, args }));
    for (const size of [1, 7, 64]) {
      const pieces = upstream.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) ?? [];
      expect(translate(pieces).map(({ type, delta, arguments: args }) => ({ type, delta, args }))).toEqual(whole);
    }
  });

  it('ends with response.failed and an error event when the upstream stream fails', () => {
    const out = translate([
      chunk({ content: 'Hi' }),
      `data: ${JSON.stringify({ error: { message: 'IONOS broke off', type: 'upstream_error', code: 'bad_gateway' } })}\n\n`,
    ]);
    expect(out.slice(-2)).toEqual([
      expect.objectContaining({
        type: 'response.failed',
        response: expect.objectContaining({ status: 'failed', error: { code: 'bad_gateway', message: 'IONOS broke off' } }),
      }),
      expect.objectContaining({ type: 'error', code: 'bad_gateway', message: 'IONOS broke off' }),
    ]);
  });
});

describe('tools → chat tools', () => {
  it('offers namespace members and custom tools under collision-free chat names, and maps calls back', () => {
    const tools = toChatTools(
      [
        { type: 'function', name: 'ns__f' },
        {
          type: 'namespace',
          name: 'ns',
          tools: [
            { type: 'function', name: 'f' },
            { type: 'custom', name: 'patch' },
          ],
        },
        { type: 'custom', name: 'has space', format: { type: 'grammar', syntax: 'lark', definition: 'start: "x"' } },
        { type: 'web_search' },
        { type: 'function', name: 'web_search' },
      ],
      true,
    );
    const names = tools.chat?.map((t) => (t.function as { name: string }).name);
    expect(names).toEqual(['ns__f', 'ns__f_1', 'ns__patch', 'has_space', 'web_search', 'web_search_1']);
    expect(new Set(names).size).toBe(names?.length);
    expect(names?.every((n) => /^[A-Za-z0-9_-]{1,64}$/.test(n))).toBe(true);
    expect(tools.webSearch).toBe('web_search');
    expect(tools.chatName('f', 'ns')).toBe('ns__f_1');
    expect(tools.chatName('web_search')).toBe('web_search_1');
    expect(tools.origins.get('ns__patch')).toEqual({ kind: 'custom', name: 'patch', namespace: 'ns' });
    expect((tools.chat?.[3]?.function as { description: string }).description).toContain('start: "x"');
    expect(tools.echo[0]).toEqual({ type: 'function', name: 'ns__f', description: null, parameters: null, strict: null });
  });

  it('without a search key: leaves out a web_search that asks for no live access, refuses one that needs it', () => {
    expect(toChatTools([{ type: 'web_search', external_web_access: false }], false)).toMatchObject({
      chat: undefined,
      ignored: ['tools[0].web_search'],
    });
    expect(() => toChatTools([{ type: 'web_search_preview' }], false)).toThrow(BadRequestError);
  });
});

describe('chat stream → response events, the new item types', () => {
  const tools = toChatTools(
    [
      { type: 'namespace', name: 'ns', tools: [{ type: 'function', name: 'f' }] },
      { type: 'custom', name: 'patch' },
      { type: 'web_search' },
    ],
    true,
  );
  const { echo } = toChatRequest({ model: MODEL, input: 'x', stream: true, include: ['web_search_call.action.sources'] });
  const chunk = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({ model: MODEL, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const parse = (sse: string) =>
    sse
      .split('\n\n')
      .filter(Boolean)
      .map((e) => JSON.parse(e.split('\n')[1]?.slice(6) ?? '{}') as { type: string; [k: string]: unknown });

  it('reasoning, a namespaced call and a custom call: their events, valid against the specification where it defines them', () => {
    const t = new ResponsesStreamTranslator(echo, tools);
    const sse =
      t.start() +
      t.push(
        chunk({ reasoning_content: 'Think' }) +
          chunk({ reasoning_content: 'ing.' }) +
          chunk({ tool_calls: [{ index: 0, id: 'c1', function: { name: 'ns__f', arguments: '{"a":' } }] }) +
          chunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }) +
          chunk({ tool_calls: [{ index: 1, id: 'c2', function: { name: 'patch', arguments: '{"input":"P"}' } }] }) +
          chunk({}, 'tool_calls'),
      ) +
      t.end();
    const events = parse(sse);
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning.delta',
      'response.reasoning.delta',
      'response.reasoning.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.done',
      'response.output_item.done',
      'response.completed',
    ]);
    for (const event of events) expect(eventErrors(event), event.type).toEqual([]);
    expect((events.at(-1)?.response as { output: unknown[] }).output).toEqual([
      {
        id: expect.stringMatching(/^rs_/),
        type: 'reasoning',
        status: 'completed',
        summary: [],
        content: [{ type: 'reasoning_text', text: 'Thinking.' }],
      },
      {
        id: expect.stringMatching(/^fc_/),
        type: 'function_call',
        status: 'completed',
        call_id: 'c1',
        name: 'f',
        namespace: 'ns',
        arguments: '{"a":1}',
      },
      { id: expect.stringMatching(/^ctc_/), type: 'custom_tool_call', status: 'completed', call_id: 'c2', name: 'patch', input: 'P' },
    ]);
  });

  it('a hosted search over two rounds: one response, the search item between, the usage summed', () => {
    const t = new ResponsesStreamTranslator(echo, tools);
    const usage = (p: number, c: number) =>
      `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: p, completion_tokens: c, total_tokens: p + c } })}\n\n`;
    let sse =
      t.start() +
      t.push(chunk({ tool_calls: [{ index: 0, id: 's1', function: { name: 'web_search', arguments: '{"query":"q"}' } }] }) + usage(10, 2));
    const round = t.endRound();
    expect(round.end.searches).toEqual([{ callId: 's1', query: 'q' }]);
    expect(round.end.assistant).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 's1', type: 'function', function: { name: 'web_search', arguments: '{"query":"q"}' } }],
    });
    sse += round.events + t.searching('s1') + t.searched('s1', [{ title: 'T', url: 'https://example.com/1', content: 'C' }]);
    sse += t.push(chunk({ content: 'Answer' }, 'stop') + usage(20, 3)) + t.endRound().events + t.end();
    const events = parse(sse);
    for (const event of events) expect(eventErrors(event), event.type).toEqual([]);
    expect(events.map((e) => e.type).filter((e) => e.includes('web_search_call'))).toEqual([
      'response.web_search_call.in_progress',
      'response.web_search_call.searching',
      'response.web_search_call.completed',
    ]);
    expect(events.at(-1)?.response).toMatchObject({
      output: [
        {
          type: 'web_search_call',
          status: 'completed',
          action: { type: 'search', query: 'q', sources: [{ type: 'url', url: 'https://example.com/1' }] },
        },
        { type: 'message', content: [{ text: 'Answer' }] },
      ],
      usage: { input_tokens: 30, output_tokens: 5, total_tokens: 35 },
    });
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
  });

  it('a failed stream: response.failed and an error event that both the SDKs and the specification read', () => {
    const t = new ResponsesStreamTranslator(echo, tools);
    const events = parse(t.start() + t.push(chunk({ content: 'Hi' })) + t.fail('IONOS broke off', 'bad_gateway'));
    for (const event of events) expect(eventErrors(event), event.type).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'bad_gateway', message: 'IONOS broke off', error: { code: 'bad_gateway' } });
  });
});

describe('the IgnoredParameters metric', () => {
  it('counts known names under their own name and anything else as other (bounded cardinality)', () => {
    expect(
      ['context_management', 'tools[3].web_search', 'include.x.y', 'frobnicate', 'a'.repeat(60)].map(ignoredParameterDimension),
    ).toEqual(['context_management', 'tools.web_search', 'include', 'other', 'other']);
  });
});
