// The Responses API for the clients that use it most, through `npm start` (spawned) and the simulator: the
// coding agent Codex CLI and the OpenAI Agents SDK run themselves, in their current releases; the request
// shapes they send are replayed (buffered and streamed); a namespaced and a custom tool round-trip; the hosted
// web_search is served with a search key and handled as documented without one; a reasoning model's
// reasoning arrives as reasoning items; an unknown parameter is ignored and named. Every answer and stream
// event is validated against the Open Responses specification (test/helpers/open-responses.ts).
import { Agent, run, setDefaultOpenAIClient, setOpenAIAPI, setTracingDisabled, tool } from '@openai/agents';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startSimulator, type Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { eventErrors, responseErrors } from '#test/helpers/open-responses.ts';
import { spawnApi, type SpawnedApi } from '#test/helpers/spawn-api.ts';

const KEY = 'responsesClientKey0123456789ab';
const CHAT = 'mistralai/Mistral-Small-24B-Instruct';
const REASONING = 'openai/gpt-oss-120b';
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../contract/responses-requests/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const CODING_AGENT = fixture('coding-agent-first-request.json');
const AGENT_FRAMEWORK = fixture('agent-framework-request.json');

type Json = Record<string, unknown>;
type Event = { type: string; sequence_number: number; response?: Json; item?: Json; [k: string]: unknown };

let sim: Simulator;
let api: SpawnedApi;

beforeAll(async () => {
  sim = await startSimulator({ rateLimit: { rps: 0, burst: 0 } });
  api = await spawnApi(sim, { LOCAL_API_KEYS: KEY, POWERTOOLS_LOG_LEVEL: 'INFO' });
});
afterAll(async () => {
  await api?.stop();
  await sim?.close();
});
beforeEach(() => sim.control.reset());

/** Chat completions the Hub received, parsed. */
const hubChats = () => sim.control.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => JSON.parse(r.body) as Json);

const post = (body: object, headers: Record<string, string> = {}) =>
  fetch(`${api.url}/v1/responses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

/** The SSE events of a streamed answer. */
function eventsOf(text: string): Event[] {
  return text
    .split('\n\n')
    .filter((block) => block.includes('data:'))
    .map((block) => {
      const lines = block.split('\n');
      const event = JSON.parse(lines.find((l) => l.startsWith('data:'))?.slice(5) ?? '{}') as Event;
      expect(lines[0]).toBe(`event: ${event.type}`);
      return event;
    });
}

/** A buffered answer, checked against the specification. */
async function buffered(body: object): Promise<{ response: Json; headers: Headers }> {
  const res = await post({ ...body, stream: false });
  const response = (await res.json()) as Json;
  expect(res.status, JSON.stringify(response)).toBe(200);
  expect(responseErrors(response)).toEqual([]);
  return { response, headers: res.headers };
}

/** A streamed answer, every event checked against the specification, ending with the final response. */
async function streamed(body: object): Promise<{ events: Event[]; final: Json; headers: Headers }> {
  const res = await post({ ...body, stream: true });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const events = eventsOf(await res.text());
  for (const event of events) expect(eventErrors(event), event.type).toEqual([]);
  expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
  const last = events.at(-1) as Event;
  expect(last.type).toBe('response.completed');
  return { events, final: last.response as Json, headers: res.headers };
}

/** A response without what differs between two answers (ids, times). */
const comparable = (r: unknown) =>
  JSON.parse(
    JSON.stringify(r)
      .replace(/"(resp|msg|fc|ctc|rs|ws)_[0-9a-f]{48}"/g, '"$1_x"')
      .replace(/"call_[0-9a-f]+"/g, '"call_x"')
      .replace(/"(created_at|completed_at)":\d+/g, '"$1":0'),
  ) as unknown;

describe('Codex CLI (the coding agent), run against npm start', () => {
  it('answers its first turn: all of its parameters and tool types accepted, the answer printed', async () => {
    const home = mkdtempSync(join(tmpdir(), 'codex-home-'));
    const work = mkdtempSync(join(tmpdir(), 'codex-work-'));
    try {
      writeFileSync(
        join(home, 'config.toml'),
        [
          `model = "${CHAT}"`,
          'model_provider = "backend"',
          '[model_providers.backend]',
          'name = "IONOS through this backend"',
          `base_url = "${api.url}/v1"`,
          'env_key = "BACKEND_API_KEY"',
          'wire_api = "responses"',
        ].join('\n'),
      );
      const codex = new URL('../../node_modules/@openai/codex/bin/codex.js', import.meta.url).pathname;
      const child = spawn(process.execPath, [codex, 'exec', '--skip-git-repo-check', 'Say hello to the backend'], {
        cwd: work,
        env: { PATH: process.env.PATH, HOME: home, CODEX_HOME: home, BACKEND_API_KEY: KEY, NO_COLOR: '1' },
        // No stdin: `codex exec` reads a piped stdin to its end as more of the prompt.
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 80_000,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
      expect(code, stderr).toBe(0);
      expect(stdout).toContain(`Simulated answer from ${CHAT}: you said "Say hello to the backend".`);
      // Its namespaced tools reached the Hub under their mapped names, its web_search as the served search.
      const names = (hubChats()[0]?.tools as { function: { name: string } }[]).map((t) => t.function.name);
      expect(names).toEqual(expect.arrayContaining(['exec_command', 'multi_agent_v1__spawn_agent', 'web_search']));
    } finally {
      rmSync(home, { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    }
  }, 90_000);

  it('replays its first request: 200, buffered and streamed, and nothing is named as ignored', async () => {
    const { response, headers } = await buffered(CODING_AGENT);
    expect(headers.get('x-ignored-parameters')).toBeNull();
    expect(response).toMatchObject({ status: 'completed', store: false, prompt_cache_key: CODING_AGENT.prompt_cache_key });
    const stream = await streamed(CODING_AGENT);
    expect(stream.headers.get('x-ignored-parameters')).toBeNull();
    expect(comparable(stream.final)).toEqual(comparable(response));
    const [chat] = hubChats();
    expect(chat?.messages).toEqual([
      { role: 'system', content: 'You are a coding agent in a terminal. Keep answers short.' },
      { role: 'system', content: expect.stringContaining('<permissions instructions>') },
      { role: 'user', content: [{ type: 'text', text: expect.stringContaining('<environment_context>') }] },
      { role: 'user', content: [{ type: 'text', text: 'Say hello' }] },
    ]);
    const apply = (chat?.tools as { function: Json }[]).find((t) => t.function.name === 'apply_patch')?.function;
    expect(apply).toMatchObject({
      description: expect.stringContaining('must follow this lark grammar exactly'),
      parameters: { properties: { input: { type: 'string' } }, required: ['input'] },
    });
    expect(chat).toMatchObject({ tool_choice: 'auto', parallel_tool_calls: true });
    expect(chat).not.toHaveProperty('reasoning_effort');
  });
});

describe('the OpenAI Agents SDK (an agent framework), run against npm start', () => {
  beforeAll(() => {
    setTracingDisabled(true);
    setDefaultOpenAIClient(new OpenAI({ baseURL: `${api.url}/v1`, apiKey: KEY, maxRetries: 0 }));
    setOpenAIAPI('responses');
  });
  const weather = tool({
    name: 'get_weather',
    description: 'Weather of a city',
    parameters: z.object({ city: z.string() }),
    execute: ({ city }) => Promise.resolve(`Sunny in ${city}.`),
  });
  const agent = new Agent({ name: 'Assistant', instructions: 'Be brief.', model: CHAT, tools: [weather] });

  it.each([false, true])('runs a tool loop to its final output (stream: %s)', async (stream) => {
    sim.control.chatReplies.push(
      { toolCalls: [{ name: 'get_weather', arguments: { city: 'Berlin' }, id: 'call_berlin' }] },
      { content: 'It is sunny in Berlin.' },
    );
    const result = stream ? await run(agent, 'Weather in Berlin?', { stream: true }) : await run(agent, 'Weather in Berlin?');
    if (stream) await (result as { completed: Promise<void> }).completed;
    expect(result.finalOutput).toBe('It is sunny in Berlin.');
    const [, second] = hubChats();
    expect(second?.messages).toEqual(
      expect.arrayContaining([
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_berlin', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Berlin"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_berlin', content: 'Sunny in Berlin.' },
      ]),
    );
  });

  it('replays its request shape (include: [] with a function tool): 200, buffered and streamed', async () => {
    const { response } = await buffered(AGENT_FRAMEWORK);
    const { final } = await streamed(AGENT_FRAMEWORK);
    expect(comparable(final)).toEqual(comparable(response));
    expect(response.tools).toEqual([
      { type: 'function', name: 'get_weather', description: 'Weather of a city', parameters: expect.any(Object), strict: true },
    ]);
  });
});

describe('namespaced and custom tools', () => {
  const tools = CODING_AGENT.tools as Json[];

  it.each([false, true])(
    'round-trip: calls come back in the client terms, and their outputs go back to the Hub (stream: %s)',
    async (stream) => {
      sim.control.chatReplies.push(
        {
          toolCalls: [
            { name: 'multi_agent_v1__spawn_agent', arguments: { message: 'check the tests' }, id: 'call_spawn' },
            { name: 'apply_patch', arguments: { input: '*** Begin Patch\n*** End Patch\n' }, id: 'call_patch' },
          ],
        },
        { content: 'Done.' },
      );
      const first = stream
        ? (await streamed({ model: CHAT, input: 'Fix it', tools })).final
        : (await buffered({ model: CHAT, input: 'Fix it', tools })).response;
      expect(first.output).toEqual([
        {
          id: expect.stringMatching(/^fc_/),
          type: 'function_call',
          status: 'completed',
          call_id: 'call_spawn',
          name: 'spawn_agent',
          namespace: 'multi_agent_v1',
          arguments: '{"message":"check the tests"}',
        },
        {
          id: expect.stringMatching(/^ctc_/),
          type: 'custom_tool_call',
          status: 'completed',
          call_id: 'call_patch',
          name: 'apply_patch',
          input: '*** Begin Patch\n*** End Patch\n',
        },
      ]);
      // The client sends back what it got and its outputs (store: false clients resend the whole turn).
      const next = {
        model: CHAT,
        tools,
        input: [
          { role: 'user', content: 'Fix it' },
          ...(first.output as Json[]),
          { type: 'function_call_output', call_id: 'call_spawn', output: 'agent 7 started' },
          { type: 'custom_tool_call_output', call_id: 'call_patch', output: 'patch applied' },
        ],
      };
      const second = stream ? (await streamed(next)).final : (await buffered(next)).response;
      expect(second.output).toEqual([expect.objectContaining({ type: 'message', content: [expect.objectContaining({ text: 'Done.' })] })]);
      expect(hubChats()[1]?.messages).toEqual([
        { role: 'user', content: 'Fix it' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_spawn',
              type: 'function',
              function: { name: 'multi_agent_v1__spawn_agent', arguments: '{"message":"check the tests"}' },
            },
            {
              id: 'call_patch',
              type: 'function',
              function: { name: 'apply_patch', arguments: '{"input":"*** Begin Patch\\n*** End Patch\\n"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_spawn', content: 'agent 7 started' },
        { role: 'tool', tool_call_id: 'call_patch', content: 'patch applied' },
      ]);
    },
  );

  it('streams a custom tool call with its input events, and a namespaced call with its arguments', async () => {
    sim.control.chatReplies.push({
      toolCalls: [
        { name: 'apply_patch', arguments: { input: 'PATCH' }, id: 'call_p' },
        { name: 'multi_agent_v1__close_agent', arguments: { id: '7' }, id: 'call_c' },
      ],
    });
    const { events } = await streamed({ model: CHAT, input: 'x', tools });
    const types = events.map((e) => e.type);
    expect(types).toContain('response.custom_tool_call_input.done');
    expect(events.find((e) => e.type === 'response.custom_tool_call_input.done')).toMatchObject({ input: 'PATCH' });
    expect(events.find((e) => e.type === 'response.function_call_arguments.done')).toMatchObject({
      name: 'close_agent',
      arguments: '{"id":"7"}',
    });
  });
});

describe('the hosted web_search tool, with a search key', () => {
  const ask = { model: CHAT, input: 'What is new at IONOS?', tools: [{ type: 'web_search' }], include: ['web_search_call.action.sources'] };
  const script = () =>
    sim.control.chatReplies.push(
      { toolCalls: [{ name: 'web_search', arguments: { query: 'IONOS news' }, id: 'call_s' }] },
      { content: 'IONOS has news [1].' },
    );

  it('searches on the server, calls the model again with the results, and answers with web_search_call items', async () => {
    script();
    const { response } = await buffered(ask);
    expect(response.output).toEqual([
      {
        id: expect.stringMatching(/^ws_/),
        type: 'web_search_call',
        status: 'completed',
        action: {
          type: 'search',
          query: 'IONOS news',
          sources: expect.arrayContaining([{ type: 'url', url: 'https://example.com/ionos-news/1' }]),
        },
      },
      expect.objectContaining({ type: 'message', content: [expect.objectContaining({ text: 'IONOS has news [1].' })] }),
    ]);
    expect(sim.control.requests.filter((r) => r.path === '/tavily/search').map((r) => JSON.parse(r.body).query)).toEqual(['IONOS news']);
    const [first, second] = hubChats();
    expect(first?.tools).toEqual([expect.objectContaining({ function: expect.objectContaining({ name: 'web_search' }) })]);
    expect(second?.messages).toEqual([
      { role: 'user', content: 'What is new at IONOS?' },
      { role: 'assistant', content: null, tool_calls: [expect.objectContaining({ id: 'call_s' })] },
      { role: 'tool', tool_call_id: 'call_s', content: expect.stringContaining('https://example.com/ionos-news/1') },
    ]);
    // Both model calls are in the usage (one request, the tokens of both).
    expect((response.usage as Json).input_tokens).toBeGreaterThan(0);
  });

  it('streams the search with its response.web_search_call.* events before the message', async () => {
    script();
    const { events, final } = await streamed(ask);
    const types = events.map((e) => e.type);
    const at = (t: string) => types.indexOf(t);
    expect(at('response.web_search_call.in_progress')).toBeGreaterThan(at('response.output_item.added'));
    expect(at('response.web_search_call.searching')).toBeGreaterThan(at('response.web_search_call.in_progress'));
    expect(at('response.web_search_call.completed')).toBeGreaterThan(at('response.web_search_call.searching'));
    expect(at('response.output_text.delta')).toBeGreaterThan(at('response.web_search_call.completed'));
    expect((final.output as Json[]).map((i) => i.type)).toEqual(['web_search_call', 'message']);
    expect(hubChats()).toHaveLength(2);
  });

  it('stops searching at the agent bound and lets the model answer without the tool', async () => {
    for (let i = 0; i < 2; i++) sim.control.chatReplies.push({ toolCalls: [{ name: 'web_search', arguments: { query: `q${i}` } }] });
    sim.control.chatReplies.push({ content: 'Enough searching.' });
    const { response } = await buffered({ ...ask, max_tool_calls: 2 });
    expect((response.output as Json[]).filter((i) => i.type === 'web_search_call')).toHaveLength(2);
    expect(hubChats()).toHaveLength(3);
    expect(hubChats()[2]).not.toHaveProperty('tools');
    expect(response.output).toContainEqual(
      expect.objectContaining({ type: 'message', content: [expect.objectContaining({ text: 'Enough searching.' })] }),
    );
  });

  it.each([false, true])('ends with the search failed when the model calls it after it was withdrawn (stream: %s)', async (stream) => {
    // A model that calls a tool it was not offered: the call is not run, and the response ends there.
    for (let i = 0; i < 3; i++) sim.control.chatReplies.push({ toolCalls: [{ name: 'web_search', arguments: { query: `q${i}` } }] });
    const body = { ...ask, max_tool_calls: 1 };
    const response = stream ? (await streamed(body)).final : (await buffered(body)).response;
    expect((response.output as Json[]).map((i) => [i.type, i.status])).toEqual([
      ['web_search_call', 'completed'],
      ['web_search_call', 'failed'],
    ]);
    expect(hubChats()).toHaveLength(2);
  });
});

describe('reasoning', () => {
  it('carries a reasoning model reasoning as a reasoning item before the message, buffered and streamed', async () => {
    const body = {
      model: REASONING,
      input: 'Think about it',
      reasoning: { effort: 'low', summary: 'auto' },
      include: ['reasoning.encrypted_content'],
    };
    const { response } = await buffered(body);
    expect(hubChats()[0]).toMatchObject({ reasoning_effort: 'low' });
    expect(response.output).toEqual([
      {
        id: expect.stringMatching(/^rs_/),
        type: 'reasoning',
        status: 'completed',
        summary: [],
        content: [{ type: 'reasoning_text', text: expect.stringContaining('Think about it') }],
      },
      expect.objectContaining({ type: 'message' }),
    ]);
    expect(response.reasoning).toEqual({ effort: 'low', summary: 'auto' });
    expect(
      (response.usage as { output_tokens_details: { reasoning_tokens: number } }).output_tokens_details.reasoning_tokens,
    ).toBeGreaterThan(0);
    const { events, final } = await streamed(body);
    expect(events.filter((e) => e.type === 'response.reasoning.delta').length).toBeGreaterThan(1);
    expect(comparable(final)).toEqual(comparable(response));
  });

  it('drops reasoning items a client sends back (the Hub cannot read them)', async () => {
    const { response } = await buffered({
      model: CHAT,
      input: [
        { role: 'user', content: 'a' },
        { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'opaque' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'b' }] },
        { role: 'user', content: 'c' },
      ],
    });
    expect(response.status).toBe('completed');
    expect(hubChats()[0]?.messages).toEqual([
      { role: 'user', content: 'a' },
      { role: 'assistant', content: 'b' },
      { role: 'user', content: 'c' },
    ]);
  });
});

describe('parameters this API ignores', () => {
  it('answers 200 and names them in x-ignored-parameters and the log line', async () => {
    const res = await post({
      model: CHAT,
      input: 'x',
      frobnicate: 1,
      context_management: [{ type: 'compaction' }],
      text: { verbosity: 'low' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ignored-parameters')).toBe('frobnicate, context_management, text.verbosity');
    const line = api
      .output()
      .split('\n')
      .filter((l) => l.includes('"ignoredParameters"'))
      .at(-1);
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      message: 'proxied',
      route: '/v1/responses',
      ignoredParameters: ['frobnicate', 'context_management', 'text.verbosity'],
    });
  });

  it('names at most 20 of them, whatever a client sends', async () => {
    const many = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`unknown_${i}`, i]));
    const res = await post({ model: CHAT, input: 'x', ...many });
    expect(res.status).toBe(200);
    const named = res.headers.get('x-ignored-parameters')?.split(', ') ?? [];
    expect(named).toHaveLength(21);
    expect(named.at(-1)).toBe('(480 more)');
  });

  it('refuses with a 400 naming it what would change the answer and cannot be served', async () => {
    for (const [param, extra] of [
      ['background', { background: true }],
      ['include[0]', { include: ['message.output_text.logprobs'] }],
      ['tools[0].type', { tools: [{ type: 'code_interpreter', container: { type: 'auto' } }] }],
    ] as const) {
      const res = await post({ model: CHAT, input: 'x', ...extra });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: Json }).error).toMatchObject({ param, type: 'invalid_request_error' });
    }
    expect(hubChats()).toEqual([]);
  });
});

describe('the hosted web_search tool, without a search key', () => {
  let bare: SpawnedApi;
  beforeAll(async () => {
    bare = await spawnApi(sim, { LOCAL_API_KEYS: KEY, TAVILY_API_KEY: undefined });
  });
  afterAll(() => bare?.stop());
  const postBare = (body: object) =>
    fetch(`${bare.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('leaves out one that asks for no live access, naming it, and refuses one that needs it', async () => {
    const cached = await postBare({ model: CHAT, input: 'x', tools: [{ type: 'web_search', external_web_access: false }] });
    expect(cached.status).toBe(200);
    expect(cached.headers.get('x-ignored-parameters')).toBe('tools[0].web_search');
    expect(hubChats()[0]).not.toHaveProperty('tools');
    const live = await postBare({ model: CHAT, input: 'x', tools: [{ type: 'web_search_preview' }] });
    expect(live.status).toBe(400);
    expect(((await live.json()) as { error: Json }).error).toMatchObject({
      param: 'tools[0].type',
      message: expect.stringContaining('no web search'),
    });
    // The coding agent's first request still works: its web_search asks for no live access.
    expect((await postBare({ ...CODING_AGENT, stream: false })).status).toBe(200);
  });
});
