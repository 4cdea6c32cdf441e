// The agent graph driven by a scripted fake chat model: no network.
import { ToolMessage } from '@langchain/core/messages';
import type { Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { runAgent, type AgentDeps } from '#shared/agent/run.ts';
import { streamAgent } from '#shared/agent/stream.ts';
import { ToolLessModels } from '#shared/agent/tool-less.ts';
import { loadConfig } from '#shared/config.ts';
import { createCredentialStore } from '#shared/credentials.ts';
import { STOPPED_BY_LIMIT } from '#shared/agent/graph.ts';
import { logger } from '#shared/logger.ts';
import { GatewayTimeoutError, RequestAbortedError, UpstreamHttpError } from '#shared/errors.ts';
import type { HubClient } from '#shared/ionos/hub-client.ts';
import type { StudioClient } from '#shared/ionos/studio-client.ts';
import { createPipeline, type HubRequest, type PipelineClients } from '#shared/pipeline/hub-request.ts';
import { ScriptedChatModel, type ScriptStep } from '#test/helpers/scripted-chat-model.ts';

const HUB = { target: 'hub', modelId: 'mistralai/Mistral-Small-24B-Instruct' } as const;
const ask = [{ type: 'human' as const, content: 'What time is it in Berlin?' }];
const NOW = new Date('2026-11-22T10:00:00Z');

type Deps = AgentDeps & PipelineClients;

function setup(script: ScriptStep[], overrides: Partial<Deps> = {}) {
  const model = new ScriptedChatModel(script);
  const deps: Deps = {
    config: loadConfig({ AGENT_RECURSION_LIMIT: '6' }),
    credentials: createCredentialStore({ secretId: undefined, envCredentials: { ionosApiToken: 'tok' }, secretCacheSeconds: 300 }),
    hub: {
      fetch: () => Promise.reject(new Error('the scripted model makes no HTTP calls')),
    } satisfies HubClient,
    studio: { generate: async () => ({ jobId: 'job-1', text: 'fine-tuned answer' }) } satisfies StudioClient,
    toolLessModels: new ToolLessModels(900_000),
    createModel: () => model,
    now: () => NOW,
    ...overrides,
  };
  return { model, deps };
}

/** The run's pipeline request, as the handler begins it. */
const upstreamOf = (deps: Deps, mode: 'buffered' | 'stream' = 'buffered'): HubRequest =>
  createPipeline(deps).begin({ consumer: 'anonymous', kind: 'agent run', route: '/', requestId: 'test', mode });

const run = (deps: Deps, extra: Partial<Parameters<typeof runAgent>[0]> = {}) =>
  runAgent(
    { route: HUB, messages: ask, deadlineMs: 10_000, upstream: upstreamOf(deps, extra.onEvent ? 'stream' : 'buffered'), ...extra },
    deps,
  );

describe('agent graph', () => {
  it('runs tool call → tool result → answer, summing tokens over both model calls', async () => {
    const { model, deps } = setup([
      { toolCalls: [{ name: 'current_datetime', args: { timezone: 'Europe/Berlin' } }], usage: { input: 100, output: 10 } },
      { content: 'It is 11:00 in Berlin.', usage: { input: 150, output: 8 } },
    ]);
    const answer = await run(deps);
    expect(answer.content).toBe('It is 11:00 in Berlin.');
    expect(answer.usage_metadata).toMatchObject({ input_tokens: 250, output_tokens: 18, total_tokens: 268 });
    expect(answer.response_metadata.token_usage).toMatchObject({ prompt_tokens: 250, completion_tokens: 18, total_tokens: 268 });
    const toolResult = model.calls[1]?.messages.find(ToolMessage.isInstance);
    expect(toolResult?.content).toContain('Sunday, 22 November 2026 at 11:00:00');
    expect(model.calls[0]?.toolNames).toEqual(['current_datetime']);
  });

  it('binds web_search only when a Tavily key is configured, and says so in the prompt', async () => {
    const withKey = setup([{ content: 'ok' }], {
      credentials: createCredentialStore({
        secretId: undefined,
        envCredentials: { ionosApiToken: 'tok', tavilyApiKey: 'tvly' },
        secretCacheSeconds: 300,
      }),
    });
    await run(withKey.deps);
    expect(withKey.model.calls[0]?.toolNames).toEqual(['web_search', 'current_datetime']);
    expect(String(withKey.model.calls[0]?.messages[0]?.content)).toContain('consider using the web_search tool');
    const without = setup([{ content: 'ok' }]);
    await run(without.deps);
    expect(String(without.model.calls[0]?.messages[0]?.content)).toContain('Web search is not available');
  });

  it('runs parallel tool calls before the next model call', async () => {
    const { model, deps } = setup([
      {
        toolCalls: [
          { name: 'current_datetime', args: { timezone: 'Asia/Tokyo' } },
          { name: 'current_datetime', args: { timezone: 'America/New_York' } },
        ],
      },
      { content: 'done' },
    ]);
    await run(deps);
    const results = model.calls[1]?.messages.filter(ToolMessage.isInstance) ?? [];
    expect(results).toHaveLength(2);
    expect(String(results[0]?.content)).toContain('Asia/Tokyo');
    expect(String(results[1]?.content)).toContain('America/New_York');
  });

  it('turns a throwing tool into an error result the model can read, and goes on', async () => {
    const { model, deps } = setup([
      { toolCalls: [{ name: 'current_datetime', args: { timezone: 'Mars/Olympus' } }] },
      { content: 'Sorry, unknown zone.' },
    ]);
    const answer = await run(deps);
    expect(answer.content).toBe('Sorry, unknown zone.');
    const result = model.calls[1]?.messages.find(ToolMessage.isInstance);
    expect(result?.status).toBe('error');
    expect(String(result?.content)).toMatch(/Invalid time zone|RangeError/i);
  });

  it('ends a runaway tool loop at the model-call limit with a 200 answer that says it stopped', async () => {
    const loop: ScriptStep = { toolCalls: [{ name: 'current_datetime', args: {} }] };
    const { model, deps } = setup(Array.from({ length: 20 }, () => loop)); // AGENT_RECURSION_LIMIT 6: 2 model calls
    const answer = await run(deps);
    expect(model.calls).toHaveLength(2);
    expect(answer.content).toMatch(/^I stopped before finishing: this request reached the limit of 2 model calls per request/);
    expect(answer.response_metadata.finish_reason).toBe(STOPPED_BY_LIMIT);
    expect(answer.tool_calls).toEqual([]);
  });

  it('runs at most the per-step number of tool calls of one reply and answers the rest as skipped', async () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ name: 'current_datetime', args: { timezone: 'UTC' }, id: `c${i}` }));
    const { model, deps } = setup([{ toolCalls: many }, { content: 'done' }], {
      config: loadConfig({ AGENT_MAX_TOOL_CALLS_PER_STEP: '3', AGENT_MAX_TOOL_CALLS_PER_RUN: '50' }),
    });
    expect((await run(deps)).content).toBe('done');
    const results = model.calls[1]?.messages.filter(ToolMessage.isInstance) ?? [];
    expect(results).toHaveLength(40); // every call has its result, as the chat API requires
    expect(results.filter((r) => r.status !== 'error').map((r) => r.tool_call_id)).toEqual(['c0', 'c1', 'c2']);
    expect(String(results[3]?.content)).toBe('Not run: at most 3 tool calls are run per step. Ask for the most important ones first.');
  });

  it('stops a run that wants more tool calls than the per-run limit, streamed as content', async () => {
    const two: ScriptStep = {
      toolCalls: [
        { name: 'current_datetime', args: {} },
        { name: 'current_datetime', args: {} },
      ],
    };
    const { model, deps } = setup([two, two, two, { content: 'never' }], {
      config: loadConfig({ AGENT_MAX_TOOL_CALLS_PER_STEP: '4', AGENT_MAX_TOOL_CALLS_PER_RUN: '3' }),
    });
    const events: unknown[] = [];
    const answer = await run(deps, { onEvent: (e) => events.push(e) });
    const results = model.calls[2]?.messages.filter(ToolMessage.isInstance) ?? [];
    expect(results.filter((r) => r.status !== 'error')).toHaveLength(3); // 2 in the first step, 1 in the second
    expect(model.calls).toHaveLength(3);
    expect(answer.content).toContain('the limit of 3 tool calls (web searches and other tools) per request');
    expect(events.at(-1)).toEqual({ content: answer.content });
  });

  it('stops when the caller aborts (499) and at the deadline (504)', async () => {
    const aborted = setup([{ content: 'late' }]);
    aborted.model.shared.delayMs = 5_000;
    const controller = new AbortController();
    const pending = run(aborted.deps, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toBeInstanceOf(RequestAbortedError);

    const slow = setup([{ content: 'late' }]);
    slow.model.shared.delayMs = 5_000;
    await expect(run(slow.deps, { deadlineMs: 50 })).rejects.toBeInstanceOf(GatewayTimeoutError);
  });

  it('answers without tools when the Hub rejects them, and remembers the model as tool-less', async () => {
    const refuse: ScriptStep = (_m, toolsBound) =>
      toolsBound
        ? { error: new UpstreamHttpError('IONOS AI Model Hub', 400, { message: 'tools not supported' }) }
        : { content: 'plain answer' };
    const { model, deps } = setup([refuse, refuse, refuse]);
    expect((await run(deps)).content).toBe('plain answer');
    expect(deps.toolLessModels.has(HUB.modelId)).toBe(true);
    expect(String(model.calls[1]?.messages[0]?.content)).toContain('Web search is not available');
    await run(deps);
    expect(model.calls.map((c) => c.toolNames.length)).toEqual([1, 0, 0]);
  });

  it('keeps tools for a model whose rejection is not about tools (a context too long), and reports it', async () => {
    const broken = {
      error: new UpstreamHttpError('IONOS AI Model Hub', 400, { message: "This model's maximum context length is 32768 tokens" }),
    };
    const { model, deps } = setup([broken, { content: 'next user gets tools' }]);
    await expect(run(deps)).rejects.toMatchObject({
      status: 400,
      message: "IONOS AI Model Hub rejected the request: This model's maximum context length is 32768 tokens",
    });
    expect(deps.toolLessModels.size).toBe(0);
    await run(deps);
    expect(model.calls.map((c) => c.toolNames.length)).toEqual([1, 1]);
  });

  it('forgets a tool-less model after the configured time', () => {
    let now = 0;
    const registry = new ToolLessModels(60_000, () => now);
    registry.add('m/x');
    expect(registry.has('m/x')).toBe(true);
    now = 60_001;
    expect(registry.has('m/x')).toBe(false);
  });

  it('logs every failed run with its error type, streamed or not', async () => {
    const errors = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    try {
      const { deps } = setup([
        { error: new UpstreamHttpError('IONOS AI Model Hub', 500, { message: 'x' }) },
        { error: new UpstreamHttpError('IONOS AI Model Hub', 500, { message: 'x' }) },
      ]);
      await expect(run(deps)).rejects.toMatchObject({ status: 502 });
      await run(deps, { onEvent: () => undefined }).catch(() => undefined);
      expect(
        errors.mock.calls.map(([message, fields]) => [
          message,
          (fields as { mode: string }).mode,
          (fields as { errorType: string }).errorType,
        ]),
      ).toEqual([
        ['agent run failed', 'buffered', 'upstream_error'],
        ['agent run failed', 'stream', 'upstream_error'],
      ]);
    } finally {
      errors.mockRestore();
    }
  });

  it('routes a Studio UUID to the Studio job and answers in the same shape', async () => {
    const seen: unknown[] = [];
    const { deps } = setup([], { studio: { generate: async (r) => (seen.push(r.messages), { jobId: 'job-7', text: 'Hallo!' }) } });
    const answer = await run(deps, { route: { target: 'studio', modelId: '7b19cae7-0983-4a6b-a03c-a647db48f00b' } });
    expect(answer).toMatchObject({
      content: 'Hallo!',
      type: 'ai',
      response_metadata: { id: 'job-7', token_usage: null },
      usage_metadata: null,
    });
    expect(seen).toEqual([[{ role: 'user', content: 'What time is it in Berlin?' }]]);
  });
});

describe('agent stream', () => {
  const collect = async (body: Readable) => {
    let text = '';
    for await (const chunk of body) text += String(chunk);
    return text
      .split('\n\n')
      .filter(Boolean)
      .map((frame) => (frame === 'data: [DONE]' ? '[DONE]' : (JSON.parse(frame.slice(6)) as unknown)));
  };

  it('sends thinking, tool activity, content deltas and [DONE], in order', async () => {
    const { deps } = setup([{ toolCalls: [{ name: 'current_datetime', args: {} }] }, { content: 'It is ten o clock.' }]);
    const frames = await collect(
      streamAgent({ route: HUB, messages: ask, deadlineMs: 10_000, upstream: upstreamOf(deps, 'stream') }, deps),
    );
    expect(frames[0]).toEqual({ status: 'thinking' });
    expect(frames.slice(1, 3)).toEqual([
      { tool: { name: 'current_datetime', status: 'started' } },
      { tool: { name: 'current_datetime', status: 'finished' } },
    ]);
    const content = frames.filter((f): f is { content: string } => typeof f === 'object' && f !== null && 'content' in f);
    expect(content.length).toBeGreaterThan(1);
    expect(content.map((c) => c.content).join('')).toBe('It is ten o clock.');
    expect(frames.at(-1)).toBe('[DONE]');
  });

  it('ends a failed run with an error event, then [DONE]', async () => {
    const { deps } = setup([{ error: new UpstreamHttpError('IONOS AI Model Hub', 500, { message: 'x' }) }]);
    const frames = await collect(
      streamAgent({ route: HUB, messages: ask, deadlineMs: 10_000, upstream: upstreamOf(deps, 'stream') }, deps),
    );
    expect(frames).toEqual([
      { status: 'thinking' },
      { error: 'IONOS AI Model Hub returned HTTP 500. Try again later.', type: 'upstream_error', code: 'upstream_error' },
      '[DONE]',
    ]);
  });

  it('aborts the run as soon as the body is destroyed (the client went away)', async () => {
    const { model, deps } = setup([{ content: 'never sent' }]);
    model.shared.delayMs = 60_000;
    const body = streamAgent({ route: HUB, messages: ask, deadlineMs: 120_000, upstream: upstreamOf(deps, 'stream') }, deps);
    await vi.waitFor(() => expect(model.shared.delayMs).toBe(60_000));
    await new Promise((r) => setTimeout(r, 20)); // the model call is waiting
    body.destroy(); // what a closed response stream does
    await vi.waitFor(() => expect(model.shared.aborted).toBe(1));
    expect(model.calls).toHaveLength(0);
  });
});
